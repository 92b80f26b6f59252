/* 12345 workbench: the knowledge search follows what the operator types into 诉求内容, an
   answer chosen from the knowledge panel (a ".kb-use" button, "用此答复") is copied into the
   reply and its key into the hidden "answered_from" field, and 复杂程度 is shown for 办不成事
   only. 当场答复办结 stays the operator's own tick. Without this script the operator types the
   reply and the search. */
(function () {
  "use strict";

  function byId(id) { return document.getElementById(id); }

  function showComplexity() {
    var category = byId("category"), field = byId("complexity-field");
    if (category && field) { field.hidden = category.value !== "not_done"; }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var content = byId("content"), q = byId("knowledge-q"), category = byId("category");
    if (content && q) {
      content.addEventListener("input", function () { q.value = content.value.slice(0, 200); });
    }
    if (category) {
      category.addEventListener("change", showComplexity);
      showComplexity();
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest(".kb-use") : null;
    var reply = byId("reply");
    if (!button || !reply) { return; }
    event.preventDefault();
    reply.value = button.getAttribute("data-answer-summary") || "";
    var source = byId("answered-from");
    if (source) { source.value = button.getAttribute("data-answer-key") || ""; }
    reply.focus();
  });
}());
