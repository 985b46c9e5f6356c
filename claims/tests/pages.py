"""Admin pages read as a browser reads them: the forms (with what a browser would send) and the messages.

Shared by the admin flow tests; the client never raises the view's exception, so a server error
is a 500 page as the editor would see it.
"""

from html.parser import HTMLParser

from django.contrib import messages


class _PageParser(HTMLParser):
    """The forms of a page (their fields as a browser would send them) and its messages."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self.messages = []
        self._form = None
        self._select = None
        self._textarea = None
        self._message = None
        self._in_messagelist = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"attrs": attrs, "fields": [], "submits": [], "selects": {}}
            self.forms.append(self._form)
        elif tag == "ul" and "messagelist" in (attrs.get("class") or "").split():
            self._in_messagelist = True
        elif tag == "li" and self._in_messagelist:
            self._message = [attrs.get("class") or "", ""]
        if self._form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "image"):
                self._form["submits"].append((name, attrs.get("value", "")))
            elif kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._form["fields"].append((name, attrs.get("value", "on")))
            elif kind != "file":
                self._form["fields"].append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self._select = {"name": name, "first": None, "chosen": None}
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in attrs:
                self._select["chosen"] = value
            self._form["selects"].setdefault(self._select["name"], []).append(value)
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "ul" and self._in_messagelist:
            self._in_messagelist = False
        elif tag == "li" and self._message is not None:
            self.messages.append((self._message[0], self._message[1].strip()))
            self._message = None
        elif tag == "select" and self._select is not None and self._form is not None:
            chosen = self._select["chosen"] if self._select["chosen"] is not None else self._select["first"]
            if chosen is not None:
                self._form["fields"].append((self._select["name"], chosen))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            name, value = self._textarea
            # A browser drops the one newline that follows <textarea>.
            self._form["fields"].append((name, value[1:] if value.startswith("\n") else value))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data
        if self._message is not None:
            self._message[1] += data


def parse(response):
    parser = _PageParser()
    parser.feed(response.content.decode())
    return parser


def page_form(response, *, having):
    """The fields of the page's form that has a field named ``having``, as a dict of lists."""
    for form in parse(response).forms:
        names = [name for name, _value in form["fields"]] + [name for name, _value in form["submits"]]
        if having in names:
            data = {}
            for name, value in form["fields"]:
                data.setdefault(name, []).append(value)
            data["__action__"] = form["attrs"].get("action") or ""
            data["__selects__"] = form["selects"]
            return data
    raise AssertionError(f"no form with a field {having!r} on the page")


def post_data(form, **changes):
    """What the browser sends: the form's fields, with ``changes`` (a value of None removes a field)."""
    data = {name: values for name, values in form.items() if not name.startswith("__")}
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return {
        name: values[0] if isinstance(values, list) and len(values) == 1 else values for name, values in data.items()
    }


def page_messages(response):
    """The messages on the rendered page as (CSS class, text)."""
    return parse(response).messages


def context_messages(response):
    """The messages the page was rendered with, as (level, text)."""
    return [(message.level, str(message)) for message in response.context["messages"]]


def assert_message(response, level, text):
    """``text`` is in a message of ``level``, both in the messages and in the page (with its CSS class)."""
    found = [message for lvl, message in context_messages(response) if lvl == level and text in message]
    assert found, f"no {messages.DEFAULT_TAGS[level]} message with {text!r}: {context_messages(response)}"
    tag = messages.DEFAULT_TAGS[level]
    shown = [message for css, message in page_messages(response) if tag in css.split() and text in message]
    assert shown, f"no <li class={tag!r}> with {text!r} on the page: {page_messages(response)}"


def upload_csv(client, data, name="claims.csv"):
    """The admin's import page, then the file on it: the preview (or the page with the file's errors)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    url = reverse("admin:claims_claim_import")
    page = client.get(url)
    assert page.status_code == 200
    form = page_form(page, having="format")
    response = client.post(url, post_data(form, import_file=SimpleUploadedFile(name, data, "text/csv")))
    assert response.status_code == 200, response.content.decode()[:3000]
    return response


def signed_in(user):
    """A client signed in as ``user`` that answers a view's exception as the user would meet it (a 500 page)."""
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client
