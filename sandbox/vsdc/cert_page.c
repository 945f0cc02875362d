/* cert_page.c - "Issue a test certificate" on the plain HTTP port, for trying fiscalhub in a
 * browser: GET /vsdc/certificates/new shows a form (business name and location, both optional),
 * POST issues a client certificate as the control API and `issue-cert` do and shows its UID,
 * password and PAC with the PFX as a download (a data: link; the sandbox keeps no copy). The
 * pages are plain HTML with the emulators' stylesheet, no scripts, and a strict CSP. */
#include <stdlib.h>
#include <string.h>

#include "../common/common.h"
#include "vsdc_internal.h"

enum fh_rc vsdc_cert_page_get(struct fh_req *req);
enum fh_rc vsdc_cert_page_post(struct fh_req *req);
enum fh_rc vsdc_page_css(struct fh_req *req);

static const struct sb_page_style style = {
    .site = "TaxCore",
    .brand = "TaxCore V-SDC",
    .css = "/vsdc/static/page.css",
    .note = "This is fiscalhub's offline V-SDC emulator: its certificates are valid only here.",
};

static void field(struct fh_buf *b, const char *name, const char *label, const char *value,
                  const char *hint)
{
    fh_buf_appendf(b,
                   "<label for=\"%s\">%s</label><input type=\"text\" id=\"%s\" name=\"%s\" "
                   "maxlength=\"100\" aria-describedby=\"%s-hint\" value=\"",
                   name, label, name, name, name);
    sb_html_esc(b, value ? value : "");
    fh_buf_appendf(b, "\"><p class=\"hint\" id=\"%s-hint\">%s</p>", name, hint);
}

static enum fh_rc form_page(struct fh_req *req, unsigned int status, const char *problem,
                            const char *name, const char *location)
{
    struct fh_buf b;
    fh_buf_init(&b, 64 * 1024);
    sb_page_start(&b, &style, "Issue a test certificate");
    fh_buf_appendf(&b, "<p>A taxpayer's certificate (PFX) for this sandbox's V-SDC, with its "
                       "password and PAC: upload it in fiscalhub to fiscalize invoices "
                       "here.</p>");
    sb_page_alert(&b, problem);
    fh_buf_appendf(&b, "<form method=\"post\" action=\"/vsdc/certificates/new\">");
    field(&b, "name", "Business name", name, "Optional: 1 to 100 characters.");
    field(&b, "location", "Location", location,
          "Optional: the shop or office, 1 to 100 characters.");
    fh_buf_appendf(&b, "<button type=\"submit\">Issue certificate</button></form>");
    return sb_page_send(req, &style, status, &b, NULL);
}

enum fh_rc vsdc_cert_page_get(struct fh_req *req)
{
    return form_page(req, 200, NULL, NULL, NULL);
}

static void fact(struct fh_buf *b, const char *label, const char *id, const char *value)
{
    fh_buf_appendf(b, "<dt>%s</dt><dd><code id=\"%s\">", label, id);
    sb_html_esc(b, value);
    fh_buf_appendf(b, "</code></dd>");
}

enum fh_rc vsdc_cert_page_post(struct fh_req *req)
{
    char *name = sb_form_get(req->body.data, req->body.len, "name");
    char *location = sb_form_get(req->body.data, req->body.len, "location");
    struct fh_vsdc_issue_opts o = {.days = 365,
                                   .vsdc_url = vsdc_ctx.set.vsdc_url,
                                   .api_url = vsdc_ctx.set.vsdc_url,
                                   .name = name && *name ? name : NULL,
                                   .location = location && *location ? location : NULL};
    struct vsdc_issued is;
    char err[200] = "";
    enum fh_rc rc = vsdc_issue(&vsdc_ctx.pki, &o, &is, err, sizeof(err));
    if (rc != FH_OK) {
        char problem[260];
        snprintf(problem, sizeof(problem), "No certificate was issued: %s.", err);
        rc = form_page(req, rc == FH_E_INPUT ? 400 : 500, problem, name, location);
        free(name);
        free(location);
        return rc;
    }
    free(name);
    free(location);
    struct fh_buf b;
    fh_buf_init(&b, 64 * 1024);
    sb_page_start(&b, &style, "Test certificate issued");
    fh_buf_appendf(&b, "<p>Download the PFX and upload it in fiscalhub (Certificates, or when you "
                       "create an integration) with this password and PAC. Keep them: this page "
                       "is the only place they are shown.</p><dl>");
    fact(&b, "UID", "uid", is.uid);
    fact(&b, "Password", "password", is.password);
    fact(&b, "PAC", "pac", is.pac);
    char *pfx = vsdc_base64(is.pfx, is.pfx_len);
    fh_buf_appendf(&b,
                   "</dl><p><a class=\"button\" download=\"%s.pfx\" "
                   "href=\"data:application/x-pkcs12;base64,%s\">Download %s.pfx</a></p>"
                   "<p><a href=\"/vsdc/certificates/new\">Issue another</a></p>",
                   is.uid, pfx, is.uid);
    free(pfx);
    vsdc_issued_free(&is);
    return sb_page_send(req, &style, 201, &b, NULL);
}

enum fh_rc vsdc_page_css(struct fh_req *req)
{
    return sb_page_css(req, "#0b4f8a", "#0b4f8a");
}
