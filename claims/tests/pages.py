"""Admin pages read as a browser reads them: the forms (with what a browser would send) and the messages.

Shared by the admin flow tests; the client never raises the view's exception, so a server error
is a 500 page as the editor would see it.
"""

import lxml.html
from django.contrib import messages

# Inputs a browser does not send with the form's fields (a submit button is sent only when clicked).
BUTTONS = ("submit", "button", "image", "reset")


def parse(response):
    """The page as lxml reads it (``.forms``, ``.cssselect(...)``)."""
    return lxml.html.fromstring(response.content.decode())


def form_fields(form):
    """The (name, value) pairs a browser sends for ``form`` unchanged: ticked boxes only, each select's
    chosen options (all of a multiple select's), a textarea's text; no file, no button, nothing disabled."""
    fields = []
    for field in form.inputs:
        name = field.get("name")
        if not name or field.get("disabled") is not None:
            continue
        if field.tag == "select":
            chosen = list(field.value) if field.multiple else [field.value]
            fields += [(name, value) for value in chosen if value is not None]
        elif field.tag == "textarea":
            # A browser drops the one newline that follows <textarea>.
            fields.append((name, field.value.removeprefix("\n")))
        elif field.type in BUTTONS or field.type == "file":
            continue
        elif field.checkable:
            if field.checked:
                fields.append((name, field.get("value", "on")))
        else:
            fields.append((name, field.get("value", "")))
    return fields


def page_form(response, *, having):
    """The fields of the page's form that has a field (or a button) named ``having``, as a dict of lists.

    ``__action__`` is the form's action, ``__selects__`` every option of each select, chosen or not.
    """
    for form in parse(response).forms:
        fields = form_fields(form)
        buttons = [field.get("name") for field in form.inputs if field.tag == "input" and field.type in BUTTONS]
        if having in [name for name, _value in fields] + buttons:
            data = {}
            for name, value in fields:
                data.setdefault(name, []).append(value)
            data["__action__"] = form.get("action") or ""
            data["__selects__"] = {}
            for select in form.xpath(".//select[@name]"):
                options = [option.get("value", "") for option in select.xpath(".//option")]
                data["__selects__"].setdefault(select.get("name"), []).extend(options)
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
    return [(li.get("class", ""), li.text_content().strip()) for li in parse(response).cssselect("ul.messagelist li")]


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
