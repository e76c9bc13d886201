// A refused form: take the reader to the error summary, and from each of its links to the
// field itself (a fragment link alone scrolls but leaves the focus behind).
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) return;
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) return;
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    var input = target.matches("input, select, textarea") ? target : target.querySelector("input, select, textarea");
    if (!input) return;
    event.preventDefault();
    target.scrollIntoView();
    input.focus();
  });
});
