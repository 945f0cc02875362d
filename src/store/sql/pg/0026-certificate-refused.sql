-- When the V-SDC last refused a certificate (a TLS alert about it, or 401/403 to its requests)
-- and why, in words without secrets; cleared when it signs with the certificate again. The
-- certificate list shows such an active certificate as "refused".
ALTER TABLE certificates ADD COLUMN refused_at BIGINT;
ALTER TABLE certificates ADD COLUMN refused_reason TEXT;
