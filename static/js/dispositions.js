// Staff disposition forms: picking a reply template (常用答复) copies its text into the
// reason, still editable; a template meant for one disposition also selects it when
// none is chosen yet. Without script the server uses the picked template's text when
// the reason is left empty.
(function () {
  "use strict";
  document.querySelectorAll("select[data-reply-template]").forEach(function (picker) {
    picker.addEventListener("change", function () {
      var option = picker.options[picker.selectedIndex];
      var target = document.getElementById(picker.getAttribute("data-reply-template"));
      if (!option || !option.value || !target) { return; }
      target.value = option.getAttribute("data-text") || "";
      var wanted = option.getAttribute("data-disposition");
      var select = picker.form && picker.form.querySelector("select[name=disposition]");
      if (wanted && select && !select.value) { select.value = wanted; }
      target.focus();
    });
  });
})();
