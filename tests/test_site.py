"""The site builds strictly, and the built pages carry what the foundation promises."""
import re
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from bs4 import BeautifulSoup

from scripts.offsite import remote_loads

ROOT = Path(__file__).resolve().parents[1]


def mkdocs_build(config: Path, site_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config), "--site-dir", str(site_dir)],
        capture_output=True,
        text=True,
        cwd=config.parent,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    site_dir = tmp_path_factory.mktemp("site")
    result = mkdocs_build(ROOT / "mkdocs.yml", site_dir)
    assert result.returncode == 0, result.stderr[-4000:]
    return site_dir


def nav_pages() -> list[str]:
    class Loader(yaml.SafeLoader):
        pass

    # mkdocs.yml uses !ENV and !!python/name tags; the navigation needs neither.
    Loader.add_multi_constructor("", lambda loader, suffix, node: None)
    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=Loader)

    def walk(items):
        for item in items:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            if isinstance(value, list):
                yield from walk(value)
            else:
                yield value

    return list(walk(config["nav"]))


def built_path(site: Path, page: str) -> Path:
    stem = page.removesuffix(".md")
    if stem == "index" or stem.endswith("/index"):
        return site / stem.removesuffix("index") / "index.html"
    return site / stem / "index.html"


def test_every_nav_page_is_built(site):
    missing = [page for page in nav_pages() if not built_path(site, page).is_file()]
    assert not missing


def test_every_page_has_its_own_meta_description_and_open_graph_tags(site):
    for page in nav_pages():
        soup = BeautifulSoup(built_path(site, page).read_text(), "html.parser")
        description = soup.find("meta", attrs={"name": "description"})
        og = soup.find("meta", attrs={"property": "og:description"})
        assert description and og, f"{page}: missing description or og:description"
        assert description["content"] and description["content"] == og["content"], page
        assert soup.find("meta", attrs={"property": "og:title"})["content"], page


def test_no_built_page_loads_anything_from_another_host(site):
    # Scripts, stylesheets, fonts, images and frames; links a reader clicks are not loads.
    loads = {
        f"{path.relative_to(site)}:{line}": url
        for path in sorted(site.rglob("*.html"))
        for line, _what, url in remote_loads(path.read_text())
    }
    assert not loads
    # The check itself must see a remote load, or the assertion above proves nothing.
    assert list(remote_loads('<script src="https://unpkg.com/mermaid@11/dist/mermaid.min.js"></script>'))


def test_404_page_offers_search_and_the_main_sections(site):
    html = (site / "404.html").read_text()
    assert 'role="search"' in html and 'name="q"' in html
    assert html.count("<li><a href=") >= 5


def test_glossary_abbreviations_reach_every_page(site):
    # The glossary is appended to every page, so each page that uses a term shows a tooltip.
    home = built_path(site, "index.md").read_text()
    assert "<abbr title=" in home


@pytest.mark.parametrize(
    "page_text, expected",
    [
        ("[gone](missing.md)\n", "missing.md"),
        ("[gone](#no-such-heading)\n", "no-such-heading"),
        ('--8<-- "no/such/file.py"\n', "no/such/file.py"),
    ],
    ids=["broken-link", "broken-anchor", "missing-include"],
)
def test_a_broken_reference_fails_the_strict_build(tmp_path, page_text, expected):
    # Copies the real configuration so this proves our mkdocs.yml is strict, not a test fixture's.
    project = tmp_path / "project"
    shutil.copytree(ROOT / "docs", project / "docs", ignore=shutil.ignore_patterns("*.js"))
    shutil.copytree(ROOT / "overrides", project / "overrides")
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    for name in ("CONTRIBUTING.md",):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(ROOT / "examples", project / "examples", ignore=shutil.ignore_patterns("artifacts", "__pycache__"))
    # docs/example/ci.md includes the example's workflow file.
    shutil.copytree(ROOT / ".github", project / ".github")
    (project / "docs" / "assets" / "javascripts").mkdir(parents=True, exist_ok=True)
    (project / "docs" / "assets" / "javascripts" / "mermaid.min.js").write_text("")
    (project / "docs" / "index.md").write_text("# Home\n\n" + page_text)
    result = mkdocs_build(project / "mkdocs.yml", tmp_path / "site")
    assert result.returncode != 0
    assert expected in result.stderr


def _config_value(key: str) -> str:
    """A plain string setting of mkdocs.yml, as the build resolves it (its !ENV default when unset)."""
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!ENV", lambda loader, node: loader.construct_sequence(node)[-1])
    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    value = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=Loader)[key]
    env = {"site_url": "SITE_URL", "repo_url": "REPO_URL"}.get(key)
    return os.environ.get(env, value) if env else value


def test_every_page_shows_when_it_was_last_updated(site):
    for page in nav_pages():
        soup = BeautifulSoup(built_path(site, page).read_text(), "html.parser")
        date = soup.select_one("article .md-source-file .git-revision-date-localized-plugin-date")
        assert date is not None and date.get_text(strip=True), f"{page}: no last-update date"
        # "Month D, YYYY", from git (or the build date where there is no history)
        assert re.fullmatch(r"[A-Z][a-z]+ \d{1,2}, 20\d\d", date.get_text(strip=True)), (page, date.get_text())


def test_every_page_links_to_a_new_issue_about_itself(site):
    repo = _config_value("repo_url").rstrip("/")
    for page in nav_pages():
        soup = BeautifulSoup(built_path(site, page).read_text(), "html.parser")
        link = soup.select_one("article a.md-page-links__report")
        assert link is not None, f"{page}: no 'report a problem' link"
        url = urlsplit(link["href"])
        assert f"{url.scheme}://{url.netloc}{url.path}" == repo + "/issues/new", link["href"]
        fields = parse_qs(url.query)
        canonical = soup.find("link", rel="canonical")["href"]
        assert canonical in fields["body"][0], f"{page}: the issue body does not name the page: {fields}"
        assert fields["title"][0].strip(), page


def test_the_whole_guide_is_on_one_page_linked_from_every_page(site):
    print_page = site / "print_page" / "index.html"
    soup = BeautifulSoup(print_page.read_text(), "html.parser")
    sections = {s.get("id") for s in soup.select("section.print-page")}
    for page in nav_pages():
        # print-site names each page's section after its URL: concepts/storage/ -> concepts-storage
        url = built_path(site, page).parent.relative_to(site).as_posix()
        assert (url.replace("/", "-") if url != "." else "index") in sections, f"{page} is missing from the print page"
        html = BeautifulSoup(built_path(site, page).read_text(), "html.parser")
        link = html.select_one("article a.md-page-links__print")
        assert link is not None, f"{page}: no link to the print page"
        target = (built_path(site, page).parent / link["href"] / "index.html").resolve()
        assert target == print_page.resolve(), f"{page}: the print link goes to {target}"
