// Loaded first and in order (not deferred): marks the page as run with JavaScript before it is
// drawn, so the stylesheets can draw the enhanced layout from the start (the compact composer,
// the room for live character counts) instead of moving things once the deferred scripts run.
document.documentElement.classList.add("js");
