-- Taxpayer certificates (TaxCore PFX + password + PAC) of an organization. The PFX bytes, the
-- password and the PAC are sealed under the master key ("v1:" text); revoking a certificate
-- erases them (NULL). A UID stays taken in its organization after revocation.
CREATE TABLE certificates (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    uid TEXT NOT NULL,
    taxpayer_name TEXT NOT NULL,
    tin TEXT NOT NULL,
    location_name TEXT NOT NULL,
    address TEXT NOT NULL,
    vsdc_url TEXT NOT NULL,
    api_url TEXT NOT NULL,
    not_after INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    pfx_sealed TEXT,
    password_sealed TEXT,
    pac_sealed TEXT,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    UNIQUE (org_id, uid)
) STRICT;
