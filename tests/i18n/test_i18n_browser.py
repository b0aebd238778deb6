"""The Chinese driver page in a real headless Chromium: its text is drawn, not as boxes.

Chromium says which installed font drew the glyphs of each element
(``CSS.getPlatformFontsForNode``): every Chinese character of the directions panel must
come from a CJK font. Without one the characters fall to a Latin font's missing-glyph
box and the count of glyphs drawn by CJK fonts is short. A screenshot is kept for people
(``--basetemp`` keeps it after the run).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.append(str(Path(__file__).resolve().parents[1] / "service"))
from cdp_browser import CHROMIUM, Browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: The directions panel's elements that hold text of their own.
TEXT_NODES = ("#sn-dir h1, #sn-dir .sn-sum, #sn-dir .sn-head > span, .sn-facts, .sn-steps li, "
              ".sn-note, .sn-nav a, .leaflet-popup-content")
OWN_TEXT = """[...document.querySelectorAll(%s)].map(function (el) {
  return [...el.childNodes].filter(function (n) { return n.nodeType === 3; })
    .map(function (n) { return n.textContent; }).join('');
})""".replace("%s", repr(TEXT_NODES))
#: Open the popup of the marker whose popup names ``%s``; the popup's text.
OPEN_POPUP = """(function () {
  SN.map.eachLayer(function (layer) {
    var popup = layer.getPopup && layer.getPopup();
    if (popup && String(popup.getContent()).indexOf(%s) >= 0) layer.openPopup();
  });
  var open = document.querySelector('.leaflet-popup-content');
  return open ? open.textContent : '';
})()"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("no chromium executable (apt-get install chromium) for the browser test")
    b = Browser(tmp_path_factory.mktemp("profile"), width=1000, height=900)
    yield b
    b.close()


def test_the_chinese_driver_page_draws_every_chinese_character(browser, written, tmp_path):
    page = written["zh-CN"]["truck-T1.html"]
    browser.open(page.as_uri())
    assert browser.wait("document.querySelectorAll('.sn-visit').length > 0")
    assert browser.errors == []
    assert browser.js("document.documentElement.lang") == "zh-CN"
    assert browser.js("document.characterSet") == "UTF-8"
    panel = browser.js("document.getElementById('sn-dir').textContent")
    for text in ("从车场 环卫车场 出发", "在填埋场 垃圾填埋场（LF）卸料", "到达站点 1",
                 "全部车辆总览"):
        assert text in panel, text  # the sites' Chinese names and the page's own texts
    popup = browser.js(OPEN_POPUP.replace("%s", repr("中央街拐角")))
    assert "DS-1 中央街拐角" in popup  # a stop's name, on its marker
    texts = browser.js(OWN_TEXT)
    joined = "".join(texts)
    han = sum(1 for c in joined if "\u4e00" <= c <= "\u9fff")
    assert han > 50

    browser.call("DOM.enable", session=True)
    browser.call("CSS.enable", session=True)
    root = browser.call("DOM.getDocument", session=True, depth=0)["root"]["nodeId"]
    nodes = browser.call("DOM.querySelectorAll", session=True, nodeId=root,
                         selector=TEXT_NODES)["nodeIds"]
    assert len(nodes) == len(texts)
    drawn: dict[str, int] = {}
    for node in nodes:
        for font in browser.call("CSS.getPlatformFontsForNode", session=True,
                                 nodeId=node)["fonts"]:
            drawn[font["familyName"]] = drawn.get(font["familyName"], 0) + font["glyphCount"]
    cjk = sum(n for family, n in drawn.items() if "CJK" in family or "Han" in family)
    assert cjk >= han, f"{han} Chinese characters, fonts used: {drawn}"

    shot = browser.screenshot(tmp_path / "driver-zh-CN.png")
    from PIL import Image

    with Image.open(shot) as img:
        assert img.size[0] >= 900 and len(img.getcolors(1 << 20) or ()) > 50  # a drawn page
