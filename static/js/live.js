// Live pages, on top of htmx's SSE extension (base.html opens /events once per tab):
// the "Show N new posts" button above the home feed and polite announcements of what
// changed. Without JavaScript none of this runs and the pages work as before.
(function () {
  "use strict";

  var pending = 0;

  function announce(text) {
    var announcer = document.getElementById("announcer");
    if (announcer) announcer.textContent = text;
  }

  function postsWord(count) {
    return count + " new " + (count === 1 ? "post" : "posts");
  }

  function newestShownId() {
    var first = document.querySelector(".feed article.post[id^='post-']");
    return first ? first.id.slice("post-".length) : "0";
  }

  function renderButton(slot) {
    slot.textContent = "";
    if (!pending) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button--secondary";
    button.textContent = "Show " + postsWord(pending);
    button.addEventListener("click", function () { showNewPosts(slot); });
    slot.appendChild(button);
  }

  function showNewPosts(slot) {
    var first = document.querySelector(".feed article.post");
    var target = first || document.querySelector(".feed");
    if (!target) return;
    htmx.ajax("GET", "/home/new?after=" + encodeURIComponent(newestShownId()), {
      target: target,
      swap: first ? "beforebegin" : "beforeend",
    }).then(function () {
      pending = 0;
      renderButton(slot);
      var arrived = document.querySelector(".feed article.post[autofocus]");
      if (arrived) {
        arrived.removeAttribute("autofocus");
        arrived.focus();
      }
    });
  }

  // The home stream sends post ids: count them rather than swapping them in.
  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    var slot = event.target;
    if (slot.id !== "new-posts") return;
    event.preventDefault();
    if (document.getElementById("post-" + event.detail.data)) return;
    pending += 1;
    renderButton(slot);
    announce(postsWord(pending) + ". The button to show them is at the top of your feed.");
  });

  document.addEventListener("htmx:sseMessage", function (event) {
    if (event.target.id === "nav-unread") {
      // The badge is for the eye; the visually hidden words (", 3 unread") are what is said.
      const words = event.target.querySelector(".visually-hidden");
      announce("Notifications" + (words ? words.textContent : ", none unread") + ".");
    }
  });
})();
