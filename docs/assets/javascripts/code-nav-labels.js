// Material puts each code block's copy button in its own unnamed <nav>. Several unnamed navigation
// landmarks on one page cannot be told apart by screen-reader users (axe: landmark-unique), so each
// gets the name of the block it belongs to. Material adds them after load, hence the observer.
// They are numbered in document order (the whole-guide page repeats each page's code block ids).
(() => {
  let count = 0;
  const label = (root) => {
    for (const nav of root.querySelectorAll("nav.md-code__nav:not([aria-label])")) {
      nav.setAttribute("aria-label", `Code block ${++count} actions`);
    }
  };
  new MutationObserver(() => label(document)).observe(document.documentElement, { childList: true, subtree: true });
  label(document);
})();
