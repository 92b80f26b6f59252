#!/bin/sh
# Debian packages OneThing needs outside Python: a CJK font for PDFs (WeasyPrint embeds it),
# poppler-utils (pdftotext/pdftoppm, used by the PDF tests), chromium (browser tests) and wrk
# (the HTTP load generator of the intake benchmark).
# Installs what is missing when run as root; otherwise says exactly what to install.
missing=""
fc-list :lang=zh 2>/dev/null | grep -qi "noto" || missing="$missing fonts-noto-cjk"
command -v pdftotext >/dev/null 2>&1 || missing="$missing poppler-utils"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
dpkg -s libpango-1.0-0 >/dev/null 2>&1 || missing="$missing libpango-1.0-0 libpangoft2-1.0-0"
# font subsetting: without it WeasyPrint embeds whole fonts and renders are not byte-identical
dpkg -s libharfbuzz-subset0 >/dev/null 2>&1 || missing="$missing libharfbuzz-subset0"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "安装系统依赖：$missing"
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null
else
  echo "缺少系统依赖，请以 root 运行：apt-get install$missing" >&2
  exit 1
fi
