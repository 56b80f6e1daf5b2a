// Menus (<details class="menu">) open and close without JavaScript; with it, Escape and a
// click elsewhere close them too, and opening one closes the others.
function openMenus() {
  return document.querySelectorAll("details.menu[open]");
}

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") {
    return;
  }
  for (const menu of openMenus()) {
    menu.open = false;
    if (menu.contains(document.activeElement)) {
      menu.querySelector("summary").focus();
    }
  }
});

document.addEventListener("click", (event) => {
  for (const menu of openMenus()) {
    if (!menu.contains(event.target)) {
      menu.open = false;
    }
  }
});

document.addEventListener("toggle", (event) => {
  if (event.target.matches?.("details.menu") && event.target.open) {
    for (const menu of openMenus()) {
      if (menu !== event.target) {
        menu.open = false;
      }
    }
  }
}, true);
