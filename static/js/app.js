/* The only script of the product's frame: a static file, because the Content-Security-Policy
   forbids inline script and inline event handlers. Every page works without it; it only adds:
   - phones: the sidebar folds into a 菜单 button;
   - [data-autosubmit] selects submit their form on change (a 查看 button is there without script);
   - [data-confirm] forms ask before they are sent; [data-print] buttons print; [data-select-all]
     inputs select their text on focus;
   - a table that scrolls sideways inside its box can be reached and scrolled with the keyboard. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");

  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector(".nav-toggle");
    var nav = document.getElementById("sidebar");
    if (button && nav) {
      button.addEventListener("click", function () {
        var open = root.classList.toggle("nav-open");
        button.setAttribute("aria-expanded", open ? "true" : "false");
        var first = open && nav.querySelector("a");
        if (first) { first.focus(); }
      });
    }
    each("select[data-autosubmit]", function (el) {
      el.addEventListener("change", function () { if (el.form) { el.form.submit(); } });
    });
    each("form[data-confirm]", function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
    each("[data-print]", function (el) {
      el.addEventListener("click", function () { window.print(); });
    });
    each("input[data-select-all]", function (el) {
      el.addEventListener("focus", function () { el.select(); });
    });
    each(".table, .table-wrap", function (el) {
      if (el.scrollWidth > el.clientWidth + 1 && !el.hasAttribute("tabindex")) {
        el.setAttribute("tabindex", "0");
        el.setAttribute("role", "region");
        el.setAttribute("aria-label", "可左右滚动的表格");
      }
    });
  });
}());
