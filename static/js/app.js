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

// The reading page's "对其中某款提意见" lists (<details class="op-parts">, usable without
// this script): one open at a time, closed by Escape (focus back on its summary), a
// click elsewhere or tabbing out; the clause an entry stands for is marked in the text
// while the entry is pointed at or focused, so that people see which paragraph 第二款 is.
document.addEventListener("toggle", function (event) {
  var opened = event.target;
  if (!opened.classList || !opened.classList.contains("op-parts") || !opened.open) return;
  document.querySelectorAll("details.op-parts[open]").forEach(function (other) {
    if (other !== opened) other.open = false;
  });
}, true);

document.addEventListener("click", function (event) {
  document.querySelectorAll("details.op-parts[open]").forEach(function (open) {
    if (!open.contains(event.target)) open.open = false;
  });
});

document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape") return;
  var open = event.target.closest && event.target.closest("details.op-parts[open]");
  if (!open) return;
  open.open = false;
  open.querySelector("summary").focus();
});

// Tabbing out of an open list closes it (a click, whose target may take no focus, is
// left to the click handler above).
document.addEventListener("focusout", function (event) {
  var open = event.target.closest && event.target.closest("details.op-parts[open]");
  if (open && event.relatedTarget && !open.contains(event.relatedTarget)) open.open = false;
});

function opPreview(event, on) {
  var link = event.target.closest && event.target.closest(".op-parts a");
  if (!link) return;
  var clause = document.getElementById(new URL(link.href).searchParams.get("provision") || "");
  if (clause) clause.classList.toggle("op-preview", on);
}
["mouseover", "focusin"].forEach(function (type) {
  document.addEventListener(type, function (event) { opPreview(event, true); });
});
["mouseout", "focusout"].forEach(function (type) {
  document.addEventListener(type, function (event) { opPreview(event, false); });
});

// Back from the form, no paragraph stays marked.
window.addEventListener("pageshow", function () {
  document.querySelectorAll(".op-preview").forEach(function (clause) { clause.classList.remove("op-preview"); });
});

// A form sent back with errors: start at its summary of them (templates/macros.html,
// error_summary), so that a keyboard or screen-reader user hears what to fix and can
// follow its links to the fields.
(function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
})();
