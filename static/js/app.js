/* The few behaviours the pages need, without inline script (the Content-Security-Policy forbids it).
   data-print: print the page; data-autosubmit: submit the form when the value changes;
   data-select-all: select the field's text on click; data-confirm="…": ask before submitting. */
document.addEventListener("click", function (event) {
  var el = event.target.closest("[data-print]");
  if (el) { event.preventDefault(); window.print(); }
  var field = event.target.closest("[data-select-all]");
  if (field) { field.select(); }
});
document.addEventListener("change", function (event) {
  var el = event.target.closest("[data-autosubmit]");
  if (el && el.form) { el.form.submit(); }
});
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) { event.preventDefault(); }
});
