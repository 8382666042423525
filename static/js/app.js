// Progressive enhancement only: every page works without this script.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy-target]");
  if (!button) return;
  var target = document.getElementById(button.getAttribute("data-copy-target"));
  if (!target || !navigator.clipboard) return;
  navigator.clipboard.writeText(target.value || target.textContent).then(function () {
    button.classList.add("copied");
  });
});

// 意见采纳情况: the print button (the page's print stylesheet makes it an A4 document).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) window.print();
});

// A form sent back with errors: start at its summary of them (templates/macros.html,
// error_summary), so that a keyboard or screen-reader user hears what to fix and can
// follow its links to the fields.
(function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
})();
