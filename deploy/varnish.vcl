# Varnish in front of gunicorn (python3 dev.py prod --varnish; docs/operations.md).
#
# Public pages carry "Cache-Control: public, max-age=0, must-revalidate, s-maxage=N" and their
# surrogate keys in "xkey" (claims/caching/edge.py): Varnish keeps a page N seconds, browsers
# revalidate with the ETag. When a change commits, the app sends
#   PURGE /  with  "xkey-purge: index article-<slug> claim-<pk> ..."
# and every stored page carrying one of those keys is dropped at once (a hard purge: nothing
# stale is served after it). varnishd needs larger header limits for an article with many
# claims (one key per claim): -p http_resp_hdr_len=64k -p http_resp_size=128k
# -p workspace_backend=256k (dev.py passes them).
vcl 4.1;

import std;
import xkey;

# dev.py replaces the port with gunicorn's.
backend default {
    .host = "127.0.0.1";
    .port = "8000";
}

acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "An xkey-purge header is required"));
        }
        set req.http.n-gone = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Purged " + req.http.n-gone));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # The admin, the report form and anything signed in (staff preview drafts at their public
    # address) go straight to the app.
    if (req.url ~ "^/(admin|report)(/|$|\?)" || req.http.Cookie ~ "(^|;\s*)sessionid=") {
        return (pass);
    }
    # Pages vary by the language cookie only (Vary: Cookie): drop every other cookie.
    if (req.http.Cookie) {
        set req.http.Cookie = regsub(req.http.Cookie, "^(?:.*;\s*)?(django_language=[^;]*).*$", "\1");
        if (req.http.Cookie !~ "^django_language=") {
            unset req.http.Cookie;
        }
    }
    return (hash);
}

sub vcl_backend_response {
    if (beresp.http.Set-Cookie || beresp.http.Cache-Control ~ "(private|no-store|no-cache)") {
        set beresp.uncacheable = true;
        set beresp.ttl = 0s;
        return (deliver);
    }
    # Expiry is not staleness (a change is purged at once): a page may be served a few seconds
    # past its s-maxage while it is fetched again.
    set beresp.grace = 10s;
}

sub vcl_deliver {
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    # The keys are for this cache only.
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
}
