#!/usr/bin/env bash
# run.sh - starts fiscalhub-sandbox and fiscalhub serve from build/release with the embedded
# SQLite store under var/, prints the portal URL, and stops both on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/release}
mkdir -p var
chmod 700 var
export DATABASE_URL=${DATABASE_URL:-var/fiscalhub.db}
export FISCALHUB_MASTER_KEY_FILE=${FISCALHUB_MASTER_KEY_FILE:-var/master.key}
export FISCALHUB_WEB_DIR=${FISCALHUB_WEB_DIR:-web/dist}
export FISCALHUB_SANDBOX_URL=${FISCALHUB_SANDBOX_URL:-http://127.0.0.1:${FISCALHUB_SANDBOX_PORT:-8081}}
export FISCALHUB_SANDBOX_DATA_DIR=${FISCALHUB_SANDBOX_DATA_DIR:-var/sandbox}
# The sandbox V-SDC's tax labels: its defaults plus Serbia's VAT labels Ђ 20 % and Е 10 %, so the
# demo organisations' 20 % and 10 % taxes have labels of their rate to be mapped to.
export FISCALHUB_SANDBOX_VSDC_TAX_GROUPS=${FISCALHUB_SANDBOX_VSDC_TAX_GROUPS:-scripts/demo-tax-groups.json}
# fiscalhub trusts the sandbox V-SDC's CA (production: the tax authority's RCA/ICA bundle).
export FISCALHUB_TAXCORE_CA_FILE=${FISCALHUB_TAXCORE_CA_FILE:-$FISCALHUB_SANDBOX_DATA_DIR/vsdc/ca.pem}
# The sandbox's demo Xero app sends the consent back to fiscalhub's callback and its webhooks to
# fiscalhub, signed with the key fiscalhub expects by default (docs/internals/connectors.md).
FH_URL=http://127.0.0.1:${FISCALHUB_PORT:-8080}
export FISCALHUB_SANDBOX_XERO_DEMO_REDIRECT_URIS=${FISCALHUB_SANDBOX_XERO_DEMO_REDIRECT_URIS:-$FH_URL/oauth/xero/callback,http://localhost:${FISCALHUB_PORT:-8080}/oauth/xero/callback}
export FISCALHUB_SANDBOX_XERO_DEMO_WEBHOOK_URL=${FISCALHUB_SANDBOX_XERO_DEMO_WEBHOOK_URL:-$FH_URL/webhooks/xero}
export FISCALHUB_SANDBOX_XERO_DEMO_WEBHOOK_KEY=${FISCALHUB_SANDBOX_XERO_DEMO_WEBHOOK_KEY:-${FISCALHUB_XERO_WEBHOOK_KEY:-sandbox-demo-webhook-key}}
# The sandbox's demo Zoho client sends the consent back to fiscalhub's callback. Zoho Books
# webhooks belong to one integration each (URL and secret of its Webhook Setup panel): in the
# sandbox set them with PUT $FISCALHUB_SANDBOX_URL/zoho/control/orgs/<organization_id>/webhook
# {"url","secret"}; meanwhile fiscalhub polls the sandbox at the plan's interval (the trial and
# Scale: every minute; docs/internals/billing.md "Sync speed").
export FISCALHUB_SANDBOX_ZOHO_DEMO_REDIRECT_URIS=${FISCALHUB_SANDBOX_ZOHO_DEMO_REDIRECT_URIS:-$FH_URL/oauth/zoho/callback,http://localhost:${FISCALHUB_PORT:-8080}/oauth/zoho/callback}
# The sandbox's demo Stripe webhook endpoint sends to fiscalhub, signed with the demo secret that
# fiscalhub's Stripe settings default to (docs/internals/billing.md).
export FISCALHUB_SANDBOX_STRIPE_DEMO_WEBHOOK_URL=${FISCALHUB_SANDBOX_STRIPE_DEMO_WEBHOOK_URL:-$FH_URL/webhooks/stripe}

"$BIN/fiscalhub" migrate >/dev/null
"$BIN/sandbox/fiscalhub-sandbox" serve &
sandbox=$!
# The sandbox creates its CA on first start; fiscalhub needs the file before it starts.
for _ in $(seq 1 100); do
    curl -fsS "$FISCALHUB_SANDBOX_URL/readyz" >/dev/null 2>&1 && break
    kill -0 "$sandbox" 2>/dev/null || { echo "fiscalhub-sandbox did not start" >&2; exit 1; }
    sleep 0.1
done
"$BIN/fiscalhub" serve &
server=$!
# Intent to receive ran when the sandbox started, before fiscalhub listened: run it again.
for _ in $(seq 1 100); do
    curl -fsS "$FH_URL/readyz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS -X POST -H 'content-type: application/json' -d '{}' \
    "$FISCALHUB_SANDBOX_URL/xero/control/apps/${FISCALHUB_SANDBOX_XERO_DEMO_CLIENT_ID:-D3A0D3A0D3A0D3A0D3A0D3A0D3A00001}/itr" \
    >/dev/null 2>&1 || echo "note: the sandbox's Xero webhooks are not active; polling covers them" >&2

stopped=0
stop() {
    [ "$stopped" = 1 ] && return
    stopped=1
    trap - INT TERM
    kill -TERM "$server" "$sandbox" 2>/dev/null || true
    wait "$server" "$sandbox" 2>/dev/null || true
    echo "fiscalhub stopped."
}
trap stop INT TERM
# Returns when either process ends (or on Ctrl-C, through the trap).
wait -n "$server" "$sandbox" || true
stop
