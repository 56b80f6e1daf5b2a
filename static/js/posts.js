// Post cards and the composer, progressively enhanced: every feature works without this file.
// Relative times kept fresh and in the reader's time zone, Share copying the link, images in a
// dialog, the composer's live character count (the server's rule), image preview, and Reply
// moving focus to the reply box.
"use strict";

const announce = (text) => {
  const region = document.getElementById("announcer");
  if (!region) return;
  // Emptied first, so the same words twice in a row are announced twice.
  region.textContent = "";
  setTimeout(() => { region.textContent = text; }, 50);
};

// --- Times: "5m", "3h", "2d", then a date; the same steps as web/times.py. ---
const fullTime = new Intl.DateTimeFormat(undefined, { dateStyle: "long", timeStyle: "short" });
const dayMonth = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
const dayMonthYear = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" });

function shortTime(moment, now) {
  const seconds = Math.floor((now - moment) / 1000);
  if (seconds < 60) return "now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  if (seconds < 7 * 86400) return `${Math.floor(seconds / 86400)}d`;
  return (moment.getFullYear() === now.getFullYear() ? dayMonth : dayMonthYear).format(moment);
}

function refreshTimes(root = document) {
  const now = new Date();
  for (const time of root.querySelectorAll("time[data-relative]")) {
    const moment = new Date(time.dateTime);
    if (Number.isNaN(moment.getTime())) continue;
    const short = time.querySelector(".time-short");
    const fullText = time.querySelector(".time-full");
    // A <time> not made by the timestamp macro has nowhere to write: leave it as the server wrote it.
    if (!short || !fullText) continue;
    const full = fullTime.format(moment);
    time.title = full;
    short.textContent = shortTime(moment, now);
    fullText.textContent = full;
  }
}

// --- Counting characters as domain/posts/text.py does: extended grapheme clusters after CRLF
// becomes LF and the ends are trimmed, every http(s) link counting a fixed length. Links are
// found as linkify-it finds them, closely enough: not glued to a word before, stopped by
// whitespace, < or > or an unbalanced bracket, trailing punctuation and quotes left out. ---
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const LINK_START = /(?<![\p{L}\p{N}_])https?:\/\/[^\s<>]+/giu;
const CLOSING = { ")": "(", "]": "[", "}": "{" };
const TRAILING = ".,;:!?\"'\u00bb\u201d\u2019\u203a";

function linkEnd(text, start, end) {
  const depth = { "(": 0, "[": 0, "{": 0 };
  for (let i = start; i < end; i++) {
    const ch = text[i];
    if (ch in depth) depth[ch]++;
    else if (ch in CLOSING) {
      if (depth[CLOSING[ch]] === 0) { end = i; break; }
      depth[CLOSING[ch]]--;
    }
  }
  while (end > start && TRAILING.includes(text[end - 1])) end--;
  return end;
}

function countGraphemes(text) {
  let count = 0;
  for (const _ of graphemes.segment(text)) count++;
  return count;
}

function textLength(raw, urlLength) {
  const text = raw.replace(/\r\n?/g, "\n").trim();
  let count = 0;
  let position = 0;
  for (const match of text.matchAll(LINK_START)) {
    if (match.index < position) continue;
    const end = linkEnd(text, match.index, match.index + match[0].length);
    if (end - match.index <= match[0].indexOf("//") + 2) continue;
    count += countGraphemes(text.slice(position, match.index)) + urlLength;
    position = end;
  }
  return count + countGraphemes(text.slice(position));
}

const NEAR_LIMIT = 20;

function setUpCount(textarea) {
  if (textarea.dataset.counting) return;
  textarea.dataset.counting = "on";
  const max = Number(textarea.dataset.countMax);
  const urlLength = Number(textarea.dataset.urlLength);
  // The page holds the counter's place already (partials/form_field.html); swapped-in forms
  // from older pages may not.
  let counter = document.getElementById(`${textarea.id}-count`);
  if (!counter) {
    counter = document.createElement("p");
    counter.className = "char-count";
    counter.id = `${textarea.id}-count`;
    textarea.after(counter);
  }
  textarea.setAttribute("aria-describedby",
    `${textarea.getAttribute("aria-describedby") || ""} ${counter.id}`.trim());
  let spoken = "";
  const update = () => {
    const left = max - textLength(textarea.value, urlLength);
    const over = left < 0;
    counter.textContent = over
      ? `${-left} ${-left === 1 ? "character" : "characters"} too many`
      : `${left} ${left === 1 ? "character" : "characters"} left`;
    counter.classList.toggle("char-count--near", !over && left <= NEAR_LIMIT);
    counter.classList.toggle("char-count--over", over);
    textarea.toggleAttribute("data-over-limit", over);
    // Said politely only when crossing into the last characters, at the limit and past it,
    // not at every keystroke.
    const stage = over ? "over" : left === 0 ? "full" : left <= NEAR_LIMIT ? "near" : "";
    if (stage !== spoken) {
      spoken = stage;
      if (stage) announce(counter.textContent);
    }
  };
  textarea.addEventListener("input", update);
  update();
}

// --- The composer: compact until used (home page), image picker and preview. ---
function setUpComposer(form) {
  if (form.dataset.enhanced) return;
  form.dataset.enhanced = "on";
  form.classList.add("compose--enhanced");
  const text = form.querySelector("textarea");
  const file = form.querySelector("input[type=file]");
  const alt = form.querySelector("[name=image_alt]");
  const altField = alt && alt.closest(".field");
  const hasErrors = form.querySelector("[aria-invalid=true]");
  const used = () => text.value.trim() || (file && file.files.length);
  const link = form.previousElementSibling;
  if (link && link.matches(".compose-link")) link.hidden = true;
  if (!form.hasAttribute("data-home") || hasErrors || used()) {
    form.classList.remove("compose--collapsed");
  } else {
    form.classList.add("compose--collapsed");
    text.rows = 1;
    form.addEventListener("focusin", () => {
      form.classList.remove("compose--collapsed");
      text.rows = 3;
    });
    form.addEventListener("focusout", (event) => {
      if (!form.contains(event.relatedTarget) && !used()) {
        form.classList.add("compose--collapsed");
        text.rows = 1;
      }
    });
  }
  if (!file) return;
  setUpImagePicker(file);
  const showAlt = () => {
    const chosen = file.files.length > 0;
    if (altField) altField.hidden = !chosen && !alt.value && alt.getAttribute("aria-invalid") !== "true";
    if (alt) alt.required = chosen;
  };
  file.addEventListener("change", () => {
    showAlt();
    if (file.files.length && alt) alt.focus();
  });
  showAlt();
}

// --- An image file input (the composer's, the profile's avatar and header) as a button with
// a preview of the chosen picture, its name and a Remove button. ---
function setUpImagePicker(file) {
  if (file.dataset.picker) return;
  file.dataset.picker = "on";
  const picker = file.closest(".field");
  picker.classList.add("image-picker");
  const preview = document.createElement("div");
  preview.className = "compose-preview";
  preview.hidden = true;
  const image = document.createElement("img");
  image.alt = "";
  const name = document.createElement("span");
  name.className = "compose-preview__name";
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "button--quiet";
  remove.textContent = "Remove image";
  preview.append(image, name, remove);
  picker.after(preview);
  file.addEventListener("change", () => {
    const chosen = file.files[0];
    preview.hidden = !chosen;
    if (chosen) {
      // A data: URL, not a blob: one: the CSP's img-src allows 'self' and data: only.
      const reader = new FileReader();
      reader.addEventListener("load", () => {
        if (file.files[0] === chosen) image.src = reader.result;
      });
      reader.readAsDataURL(chosen);
      name.textContent = chosen.name;
    } else {
      image.removeAttribute("src");
    }
  });
  remove.addEventListener("click", () => {
    file.value = "";
    file.dispatchEvent(new Event("change"));
    file.focus();
  });
}

// --- Images at full size in a dialog: focus moves in, Escape closes, focus returns. ---
let viewer = null;

function imageDialog() {
  if (viewer) return viewer;
  viewer = document.createElement("dialog");
  viewer.className = "dialog image-dialog";
  viewer.setAttribute("aria-label", "Image");
  const close = document.createElement("button");
  close.type = "button";
  close.className = "icon-button image-dialog__close";
  close.innerHTML = '<span aria-hidden="true">\u00d7</span><span class="visually-hidden">Close</span>';
  close.addEventListener("click", () => viewer.close());
  const image = document.createElement("img");
  viewer.append(close, image);
  // A click on the backdrop (the dialog itself, outside its picture) closes it.
  viewer.addEventListener("click", (event) => { if (event.target === viewer) viewer.close(); });
  viewer.addEventListener("close", () => {
    image.removeAttribute("src");
    if (viewer.opener && viewer.opener.isConnected) viewer.opener.focus();
  });
  document.body.append(viewer);
  return viewer;
}

function openImage(link) {
  const dialog = imageDialog();
  const shown = link.querySelector("img");
  const image = dialog.querySelector("img");
  image.src = link.href;
  image.alt = shown ? shown.alt : "";
  dialog.setAttribute("aria-label", image.alt ? `Image: ${image.alt}` : "Image");
  dialog.opener = link;
  dialog.showModal();
  dialog.querySelector("button").focus();
}

// --- Share: copy the post's address. ---
async function share(link) {
  try {
    await navigator.clipboard.writeText(link.href);
    announce("Link copied");
  } catch {
    announce("Could not copy the link. Open the post to copy its address.");
  }
}

document.addEventListener("click", (event) => {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const shareLink = event.target.closest("a[data-share]");
  if (shareLink && navigator.clipboard) {
    event.preventDefault();
    share(shareLink);
    return;
  }
  const imageLink = event.target.closest("a[data-full-image]");
  if (imageLink && typeof HTMLDialogElement === "function") {
    event.preventDefault();
    openImage(imageLink);
    return;
  }
  // Reply to a post whose reply box is on this page: go there and put the cursor in it.
  const reply = event.target.closest("a[data-reply]");
  const box = document.getElementById("field-reply");
  if (reply && box && new URL(reply.href).pathname === location.pathname) {
    event.preventDefault();
    box.focus();
  }
});

// Share acts as a button once this file runs (Space presses it, as a button).
function upgradeShareLinks(root) {
  for (const link of root.querySelectorAll("a[data-share]")) link.setAttribute("role", "button");
}
document.addEventListener("keydown", (event) => {
  const link = event.key === " " && event.target.closest && event.target.closest("a[data-share]");
  if (link) {
    event.preventDefault();
    link.click();
  }
});

function enhance(root) {
  refreshTimes(root);
  upgradeShareLinks(root);
  for (const textarea of root.querySelectorAll("textarea[data-count-max]")) setUpCount(textarea);
  for (const form of root.querySelectorAll("form[data-composer]")) setUpComposer(form);
  for (const file of root.querySelectorAll("input[type=file][data-image-picker]")) setUpImagePicker(file);
}

document.addEventListener("htmx:load", (event) => enhance(event.target));
document.addEventListener("DOMContentLoaded", () => {
  enhance(document);
  setInterval(() => refreshTimes(), 60 * 1000);
  const flash = document.getElementById("flash");
  if (flash) announce(flash.textContent);
});
