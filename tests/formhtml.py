"""Read a rendered page's form the way a browser would submit it, for tests that post a page back."""

from html.parser import HTMLParser


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self._form, self._textarea, self._select = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action", ""), "fields": [], "dates": [], "files": [], "attrs": a}
            self.forms.append(self._form)
        if self._form is None:
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            name = a.get("name")
            if kind == "file" and name:
                self._form["files"].append(name)
            if not name or kind in ("submit", "button", "file", "reset", "image"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._form["fields"].append((name, a.get("value", "on" if kind in ("checkbox", "radio") else "")))
            if kind in ("date", "datetime-local"):
                self._form["dates"].append((name, kind, a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]
        elif tag == "select" and a.get("name"):
            self._select = [a["name"], None, None]
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select[2] is None:
                self._select[2] = value
            if "selected" in a:
                self._select[1] = value

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            # A browser drops one newline right after <textarea> (Django writes one there).
            self._form["fields"].append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, selected, first = self._select
            self._form["fields"].append((name, selected if selected is not None else (first or "")))
            self._select = None
        elif tag == "form":
            self._form = None


def forms_in(html: str) -> list[dict]:
    """Every form of the page: {"action", "fields": [(name, value)…], "dates": [(name, type, value)…]}."""
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def as_post(fields, **over) -> dict:
    """Fields as a dict of lists for the test client (repeated names kept), with `over` replacing names."""
    data: dict = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    data.update({k: v if isinstance(v, list) else [v] for k, v in over.items()})
    return data
