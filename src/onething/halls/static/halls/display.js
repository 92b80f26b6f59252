/* 叫号大屏: speak a newly called number with the browser's speech synthesis.
   Browsers only speak after a user gesture, so nothing is said until someone presses
   “开启语音播报”. The live fragment (#display-data) carries the latest call as data
   attributes: data-latest (ticket id and call count, so a recall is spoken again),
   data-number and data-window. No inline script or style: CSP 'self' only. */
(function () {
  "use strict";
  var enabled = false;
  var last = null;

  function latest() {
    var el = document.getElementById("display-data");
    if (!el) { return null; }
    return { key: el.getAttribute("data-latest") || "", number: el.getAttribute("data-number"), window: el.getAttribute("data-window") };
  }

  function speak(call) {
    if (!("speechSynthesis" in window) || !call.number) { return; }
    var words = "请 " + call.number + " 号到 " + call.window + " 号窗口办理";
    var utterance = new SpeechSynthesisUtterance(words);
    utterance.lang = "zh-CN";
    window.speechSynthesis.speak(utterance);
  }

  function check() {
    var call = latest();
    if (!call) { return; }
    if (enabled && call.key && call.key !== last) { speak(call); }
    last = call.key;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var first = latest();
    last = first ? first.key : null;
    var button = document.getElementById("display-voice");
    if (button) {
      if (!("speechSynthesis" in window)) { button.hidden = true; }
      button.addEventListener("click", function () {
        enabled = !enabled;
        button.setAttribute("aria-pressed", enabled ? "true" : "false");
        button.textContent = enabled ? "关闭语音播报" : "开启语音播报";
        if (enabled) {
          var call = latest();
          if (call && call.key) { speak(call); }
        } else if ("speechSynthesis" in window) {
          window.speechSynthesis.cancel();
        }
      });
    }
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.target && event.target.id === "display-live") { check(); }
    });
  });
})();
