// The web book's language switch: a link from every page to its twin in the other edition.
// English pages live at chapters/X.html and exercises/X.html, Chinese ones at zh/chapters/X.html and
// zh/exercises/X.html (cnnbook.translation keeps the two in step).
document.addEventListener("DOMContentLoaded", () => {
  const path = window.location.pathname;
  const match = path.match(/^(.*?\/)(zh\/)?(chapters|exercises)\/([^/]+)$/);
  if (!match) return;
  const [, root, zh, folder, page] = match;
  const link = document.createElement("a");
  link.className = "cnnbook-language-switch";
  link.href = zh ? `${root}${folder}/${page}` : `${root}zh/${folder}/${page}`;
  link.textContent = zh ? "English" : "中文";
  link.lang = zh ? "en" : "zh";
  link.style.cssText = "position:fixed;top:0.6rem;right:1rem;z-index:1000;padding:0.2rem 0.6rem;" +
    "border:1px solid currentColor;border-radius:0.3rem;background:var(--pst-color-background, white);";
  document.body.appendChild(link);
});
