"""Copy the JavaScript the web book loads from npm into _vendor/, so its pages need no CDN.

`make book` runs this before jupyter-book (tests/test_book_build.py runs it in its copy of the
repository). It installs package-lock.json's packages with `npm ci` unless node_modules/ already
holds the locked versions, then copies only what a page loads:

* ``widgets/require.js`` (requirejs): the AMD loader the widget manager needs;
* ``widgets/embed-amd.js`` (@jupyter-widgets/html-manager, the version that goes with ipywidgets 8
  and @jupyter-widgets/base 6): renders the widget state myst-nb writes into each page. It bundles
  @jupyter-widgets/base, controls and output, so the book's widgets (sliders, drop-downs, Image,
  HTML, Output) load nothing else; a widget from another package would be looked up on a CDN,
  and a test fails if a page has one. Beside it, the Font Awesome 5 fonts its CSS names;
* ``widgets/setup.js`` (written here, see SETUP_JS), loaded before require.js;
* ``mathjax/`` (mathjax 3): tex-mml-chtml.js (Sphinx's default component), its fonts, the TeX
  extensions it loads on demand (\\boldsymbol, \\cancel, ...) and its menu's modules; not the
  speech rules (sre/, 4 MB), which load only when a reader turns speech on in MathJax's menu.

The copies go to _vendor/_static/; _config.yml lists _vendor in html_extra_path, so Sphinx copies
them to _build/html/_static/, where nb_ipywidgets_js and mathjax_path point. (Not into _static/
itself: jupyter-book adds every .js file found there to every page.) node_modules/ and _vendor/
are build products, ignored by git.

Usage: python tools/vendor_js.py [ROOT]   (ROOT defaults to this repository)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

# package -> (file, folder or glob inside the package, where it goes under _vendor/_static/)
FILES = {
    "requirejs": [("require.js", "widgets/require.js")],
    "@jupyter-widgets/html-manager": [("dist/embed-amd.js", "widgets/embed-amd.js"),
                                      ("dist/*.woff2", "widgets/")],
    "mathjax": [("es5/tex-mml-chtml.js", "mathjax/tex-mml-chtml.js"),
                ("es5/input/tex/extensions", "mathjax/input/tex/extensions"),
                ("es5/output/chtml/fonts/woff-v2", "mathjax/output/chtml/fonts/woff-v2"),
                ("es5/a11y", "mathjax/a11y"),
                ("es5/ui", "mathjax/ui"),
                ("LICENSE", "mathjax/LICENSE")],
}
VENDOR = Path("_vendor")
STATIC = VENDOR / "_static"
# Two fixes for a page that embeds widgets, before require.js loads (nb_ipywidgets_js in _config.yml):
SETUP_JS = """\
// Written by tools/vendor_js.py: set up the widget manager of a page of the static book.
// RequireJS takes this global as its configuration. The manager's bundle looks for the fonts its CSS
// names beside the URL of its module; by default that is a folder next to the page, so name it here.
var require = {paths: {
  "@jupyter-widgets/html-manager/dist": new URL(".", document.currentScript.src).href.replace(/[/]$/, ""),
}};
// ipywidgets typesets labels with MathJax 2's MathJax.Hub.Queue; the book loads MathJax 3.
window.addEventListener("load", () => {
  const mathjax = window.MathJax;
  if (mathjax && !mathjax.Hub && mathjax.typesetPromise) {
    mathjax.Hub = {Queue: ([, , element]) => mathjax.typesetPromise([element])};
  }
});
"""
NPM_CI = ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"]


def locked_version(root: Path, package: str) -> str:
    lock = json.loads((root / "package-lock.json").read_text(encoding="utf-8"))
    return lock["packages"][f"node_modules/{package}"]["version"]


def installed_version(root: Path, package: str) -> str | None:
    manifest = root / "node_modules" / package / "package.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text(encoding="utf-8")).get("version")


def up_to_date(root: Path) -> bool:
    """Whether node_modules/ holds the locked version of every package we copy from."""
    return all(installed_version(root, package) == locked_version(root, package) for package in FILES)


def install(root: Path) -> None:
    if shutil.which("npm") is None:
        sys.exit("error: building the web book needs npm (it installs the JavaScript of package-lock.json), "
                 "and npm is not on PATH.\n       Install it (Debian/Ubuntu: apt-get install npm; elsewhere "
                 "Node.js, which brings npm) and run this again.")
    print(f"vendor_js: {' '.join(NPM_CI)}  (in {root})", flush=True)
    result = subprocess.run(NPM_CI, cwd=root)
    if result.returncode != 0:
        sys.exit(f"error: `{' '.join(NPM_CI)}` failed with exit code {result.returncode}")
    if not up_to_date(root):
        sys.exit("error: npm ci did not install the versions package-lock.json pins")


def vendor(root: Path) -> dict[str, int]:
    """Install when needed, copy the files; return the bytes copied per top folder."""
    if not up_to_date(root):
        install(root)
    if (root / VENDOR).exists():
        shutil.rmtree(root / VENDOR)
    sizes: dict[str, int] = {}
    for package, files in FILES.items():
        for source, destination in files:
            package_path, target = root / "node_modules" / package, root / STATIC / destination
            copied = []
            for source_path in sorted(package_path.glob(source)):
                copy = target / source_path.name if destination.endswith("/") else target
                copy.parent.mkdir(parents=True, exist_ok=True)
                if source_path.is_dir():
                    shutil.copytree(source_path, copy)
                    copied += [p for p in copy.rglob("*") if p.is_file()]
                else:
                    copied.append(Path(shutil.copyfile(source_path, copy)))
            if not copied:
                sys.exit(f"error: node_modules/{package} has no {source}")
            folder = destination.split("/")[0]
            sizes[folder] = sizes.get(folder, 0) + sum(p.stat().st_size for p in copied)
    (root / STATIC / "widgets" / "setup.js").write_text(SETUP_JS, encoding="utf-8")
    return sizes


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else Path(__file__).resolve().parents[1]).resolve()
    for folder, size in vendor(root).items():
        print(f"vendor_js: {STATIC / folder}/ ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
