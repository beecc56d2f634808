// Material puts each code block's copy button in its own unnamed <nav>. Several unnamed navigation
// landmarks on one page cannot be told apart by screen-reader users (axe: landmark-unique), so each
// gets the name of the block it belongs to. Material adds them after load, hence the observer.
(() => {
  const label = (root) => {
    for (const nav of root.querySelectorAll("nav.md-code__nav:not([aria-label])")) {
      const pre = nav.closest("pre");
      const number = pre && /^__code_(\d+)$/.test(pre.id) ? Number(pre.id.slice(7)) + 1 : "";
      nav.setAttribute("aria-label", `Code block ${number} actions`.replace("  ", " "));
    }
  };
  new MutationObserver(() => label(document)).observe(document.documentElement, { childList: true, subtree: true });
  label(document);
})();
