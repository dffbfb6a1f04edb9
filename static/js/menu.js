// Lay the header menu out inline on wide screens; keep it a button on phones.
// The menu is a <details>, so it also works with scripts off.
(function () {
  "use strict";
  var menu = document.querySelector(".menu");
  if (!menu || !window.matchMedia) return;
  var wide = window.matchMedia("(min-width: 48rem)");
  function sync() {
    menu.open = wide.matches;
    document.documentElement.classList.toggle("menu-inline", wide.matches);
  }
  if (wide.addEventListener) wide.addEventListener("change", sync); else wide.addListener(sync);
  sync();
})();
