// Progressive enhancement only: every feature works without this file.
// htmx does not swap error answers (other than 422 forms); show and announce what went
// wrong instead of leaving a button that silently did nothing.
const MESSAGES = {
  403: "That is not allowed. Reload the page and try again.",
  404: "That no longer exists.",
  429: "Too many requests. Wait a moment and try again.",
};

function showProblem(text) {
  const alert = document.getElementById("request-problem");
  if (alert) {
    alert.textContent = text;
    alert.hidden = false;
  }
}

document.addEventListener("htmx:responseError", (event) => {
  showProblem(MESSAGES[event.detail.xhr.status] || "That did not work. Please try again.");
});
document.addEventListener("htmx:sendError", () => {
  showProblem("Agora could not be reached. Check your connection and try again.");
});
document.addEventListener("htmx:beforeRequest", () => {
  const alert = document.getElementById("request-problem");
  if (alert) {
    alert.hidden = true;
  }
});
