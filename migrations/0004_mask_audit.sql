-- Audit rows of refused requests used to store a school and a koppeling as
-- typed: a verification code pasted into the wrong field stood there (its
-- first 20 characters as the school, in full as the koppeling), readable by
-- anyone who may read the audit. New rows store such values masked: the
-- first six characters and the length, as `21QW00… (26 tekens)`. This
-- masks the rows written before: a school that is not a well-formed BRIN6,
-- and a koppeling that is not in the catalogue. (An old school value was
-- cut to 20 characters; its masked length is that of what was kept.)
UPDATE audit
SET school = substr(school, 1, 6) || '… (' || length(school) || ' tekens)'
WHERE school IS NOT NULL
  AND NOT (length(school) = 6 AND school GLOB '[0-9][0-9][A-Z][A-Z][0-9][0-9]');

UPDATE audit
SET koppeling = substr(koppeling, 1, 6) || '… (' || length(koppeling) || ' tekens)'
WHERE koppeling IS NOT NULL
  AND koppeling NOT IN (SELECT id FROM catalog_entry);
