"""The citizen pages: light, in three languages, over HTTPS, and usable without JavaScript."""

import html
import re
from urllib.parse import urlencode, urljoin, urlsplit


from conftest import (
    citizen_email,
    form_posting_to,
    location_path,
    mail_link,
    parse_html,
    pdf_bytes,
    wait_until,
)

DEVANAGARI = re.compile("[\u0900-\u097f]")
BUDGET = 100 * 1024


def transferred_bytes(station, url: str) -> int:
    """Bytes of the response body as sent on the wire (before any decompression)."""
    with station.get(url, stream=True) as r:
        assert r.status_code == 200, f"{url}: {r.status_code}"
        return len(r.raw.read(decode_content=False))


def css_references(css: str) -> list[str]:
    refs = re.findall(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""", css)
    refs += re.findall(r"""@import\s+['"]([^'"]+)['"]""", css)
    return [ref for ref in refs if not ref.startswith("data:")]


def page_weight(station, path: str) -> dict[str, int]:
    """Every URL a browser would fetch for `path` (page, stylesheets, scripts, images and what
    the stylesheets import), with its transferred size."""
    page_url = station.url(path)
    sizes = {page_url: transferred_bytes(station, page_url)}
    todo = [urljoin(page_url, html.unescape(ref)) for ref in parse_html(station.get(path).text).resources]
    while todo:
        url = todo.pop()
        if url in sizes or url.startswith("data:"):
            continue
        assert urlsplit(url).netloc == urlsplit(page_url).netloc, f"{path} loads {url} from elsewhere"
        sizes[url] = transferred_bytes(station, url)
        r = station.get(url)
        if "css" in r.headers.get("Content-Type", ""):
            todo += [urljoin(url, ref) for ref in css_references(r.text)]
    return sizes


def test_station_page_and_booking_form_weigh_under_100_kb(station):
    officer = station.admin
    slot = station.free_slot(officer.id)
    book_path = "/book?" + urlencode({"officer": officer.id, "start": slot["start"]})

    sizes = page_weight(station, "/")
    sizes.update(page_weight(station, book_path))

    assert sum(sizes.values()) < BUDGET, sizes


def test_station_page_lists_officers_and_bookable_slots(station):
    officer = station.admin

    page = station.get("/")

    assert page.status_code == 200
    assert officer.name in page.text
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page.text)]
    booking_links = [h for h in hrefs if h.startswith("/book?") and f"officer={officer.id}" in h]
    assert booking_links, "no link to /book for the officer's free slots"
    assert station.get(booking_links[0]).status_code == 200
    day = station.get(f"/officers/{officer.id}", params={"date": str(station.today())})
    assert day.status_code == 200
    assert officer.name in day.text


def test_pages_come_in_english_marathi_and_hindi(station):
    pages = {}
    for code in ("en", "mr", "hi"):
        r = station.get("/", params={"lang": code})
        assert r.status_code == 200
        assert parse_html(r.text).html_lang == code
        pages[code] = r.text

    assert DEVANAGARI.search(pages["mr"])
    assert DEVANAGARI.search(pages["hi"])
    assert pages["mr"] != pages["hi"]
    assert pages["en"] != pages["mr"]


def test_the_language_choice_is_remembered(station):
    s = station.session()

    r = s.get(station.url("/lang/mr"), params={"next": "/"}, allow_redirects=False)

    assert r.status_code == 303
    assert location_path(r) == "/"
    assert any(c.startswith("lang=mr") for c in r.raw.headers.getlist("Set-Cookie"))
    assert parse_html(s.get(station.url("/")).text).html_lang == "mr"
    officer_page = s.get(station.url(f"/officers/{station.admin.id}"), params={"date": str(station.today())})
    assert parse_html(officer_page.text).html_lang == "mr"

    s.get(station.url("/lang/hi"), params={"next": "/"})
    assert parse_html(s.get(station.url("/")).text).html_lang == "hi"


def test_plain_http_redirects_to_https(station):
    r = station.get(f"{station.http_base}/officers/1?date=2026-11-30", allow_redirects=False)

    assert r.status_code in (301, 308)
    target = urlsplit(r.headers["Location"])
    assert target.scheme == "https"
    assert target.hostname == "127.0.0.1"
    assert target.port == station.https_port
    assert target.path == "/officers/1"
    assert target.query == "date=2026-11-30"


def test_booking_works_through_the_html_form(station, smtp):
    officer = station.admin
    slot = station.free_slot(officer.id)
    form_page = station.get("/book", params={"officer": officer.id, "start": slot["start"]})
    assert form_page.status_code == 200
    form = form_posting_to(form_page.text, "/book")
    assert form.attrs.get("method", "").lower() == "post"
    assert form.attrs.get("enctype") == "multipart/form-data"
    names = set(form.types)
    assert {"officer_id", "start", "name", "email", "mobile", "reason_category", "reason", "idempotency_key"} <= names
    assert form.types.get("documents") == "file"
    assert form.types["idempotency_key"] == "hidden" and form.fields["idempotency_key"]

    who = citizen_email()
    values = dict(form.fields)
    values.pop("documents", None)
    values.update(
        name="Sunil Kamble", email=who, mobile="9822012345", reason_category="lost_article",
        reason="Lost my wallet with Aadhaar card at the bus stop.",
    )
    parts = [(k, (None, v)) for k, v in values.items()]
    parts.append(("documents", ("aadhaar.pdf", pdf_bytes("wallet"), "application/pdf")))

    first = station.post("/book", files=parts)
    again = station.post("/book", files=parts)

    # The page says where the result went; the reference is in the mail (see
    # test_hardening_bookings for why the page does not show it).
    assert first.status_code == 200, first.text[:500]
    assert who in first.text
    link = mail_link(smtp.booking_mail(who).msg)
    assert station.get(f"/api/v1/appointments/{link}").status_code == 200
    # The form sent twice (its idempotency key) is the one booking and the one mail.
    assert again.status_code == 200 and who in again.text, again.text[:500]
    assert len(smtp.to(who)) == 1
    day = {s["start"]: s["free"] for s in station.slots(officer.id, slot["start"][:10])["slots"]}
    assert day[slot["start"]] is False


def test_starts_and_serves_with_no_config_at_all(make_station):
    st = make_station(None)

    # A new box shows its set-up page; once it has an admin, the booking site.
    first = st.get("/")
    assert first.status_code == 200
    assert 'name="setup_code"' in first.text
    st.add_officer(admin=True)
    wait_until(lambda: st.get("/", allow_redirects=False).status_code == 200, message="site opens")
    info = st.get("/api/v1/station")
    assert info.status_code == 200
    assert {"name", "code", "zone", "time_zone", "officers"} <= set(info.json())


def test_station_api_describes_the_station(station):
    info = station.get("/api/v1/station").json()

    assert info["name"] == "Deccan Gymkhana Police Station"
    assert info["code"] == "DGP"
    assert info["zone"] == "Zone 1"
    assert info["time_zone"] == "Asia/Kolkata"
    assert info["officers"] == [{"id": station.admin.id, "name": station.admin.name, "rank": station.admin.rank}]
