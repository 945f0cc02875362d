/* page.c - the emulators' server-rendered pages (log-in, consent, error screens): plain HTML
 * forms that post back, one stylesheet of the emulator's own, no scripts, and a strict
 * Content-Security-Policy so a test notices any inline script or style. */
#include <string.h>

#include "common.h"

void sb_page_start(struct fh_buf *b, const struct sb_page_style *st, const char *title)
{
    fh_buf_appendf(b, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                      "<title>");
    sb_html_esc(b, title);
    fh_buf_appendf(b, " | ");
    sb_html_esc(b, st->site);
    fh_buf_appendf(b, " (sandbox)</title><link rel=\"stylesheet\" href=\"");
    sb_html_esc(b, st->css);
    fh_buf_appendf(b, "\"></head><body><main><p class=\"brand\">");
    sb_html_esc(b, st->brand);
    fh_buf_appendf(b, " <span>sandbox</span></p><h1>");
    sb_html_esc(b, title);
    fh_buf_appendf(b, "</h1>");
}

enum fh_rc sb_page_send(struct fh_req *req, const struct sb_page_style *st, unsigned int status,
                        struct fh_buf *b, const char *cookie)
{
    fh_buf_appendf(b, "<p class=\"note\">");
    sb_html_esc(b, st->note);
    fh_buf_appendf(b, "</p></main></body></html>");
    char *html = fh_buf_steal(b);
    const char *hdrs[] = {
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'",
        cookie ? "Set-Cookie" : NULL, cookie, NULL};
    return sb_send(req, status, "text/html; charset=utf-8", html, strlen(html), hdrs);
}

void sb_page_hidden(struct fh_buf *b, const char *name, const char *value)
{
    fh_buf_appendf(b, "<input type=\"hidden\" name=\"");
    sb_html_esc(b, name);
    fh_buf_appendf(b, "\" value=\"");
    sb_html_esc(b, value);
    fh_buf_appendf(b, "\">");
}

void sb_page_alert(struct fh_buf *b, const char *problem)
{
    if (!problem)
        return;
    fh_buf_appendf(b, "<p class=\"error\" role=\"alert\">");
    sb_html_esc(b, problem);
    fh_buf_appendf(b, "</p>");
}

enum fh_rc sb_page_css(struct fh_req *req, const char *brand_color, const char *button_color)
{
    char *css = fh_asprintf(
        "body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1e2a36;margin:0}"
        "main{max-width:28rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;"
        "box-shadow:0 1px 4px rgba(0,0,0,.15)}"
        ".brand{font-weight:700;color:%s;font-size:1.4rem;margin:0 0 1rem}.brand span{color:"
        "#6b7785;font-size:.9rem}h1{font-size:1.3rem}label{display:block;margin:.8rem 0 .3rem}"
        "input[type=email],input[type=password],input[type=text]{width:100%%;padding:.5rem;"
        "box-sizing:border-box;"
        "border:1px solid #8c96a0;border-radius:4px}label.org{margin:.4rem 0}"
        "button{margin-top:1rem;padding:.6rem 1.2rem;border:0;border-radius:4px;background:%s;"
        "color:#fff;font-size:1rem;cursor:pointer}button.secondary{background:#e1e4e8;"
        "color:#1e2a36;margin-left:.5rem}button:focus,input:focus{outline:3px solid #f5a623}"
        ".error{color:#b00020}.note{color:#6b7785;font-size:.8rem;margin-top:2rem}"
        ".scopes{padding-left:1.2rem}fieldset{border:1px solid #d0d5da;border-radius:4px;"
        "margin-top:1rem}.hint{color:#4a5560;font-size:.85rem;margin:.3rem 0 0}"
        "dt{font-weight:600;margin-top:.6rem}dd{margin:.2rem 0 0}code{font-size:1.05rem}"
        "a.button{display:inline-block;margin-top:1rem;padding:.6rem 1.2rem;border-radius:4px;"
        "background:%s;color:#fff;text-decoration:none}a.button:focus{outline:3px solid #f5a623}",
        brand_color, button_color, button_color);
    return sb_send(req, 200, "text/css; charset=utf-8", css, strlen(css), NULL);
}
