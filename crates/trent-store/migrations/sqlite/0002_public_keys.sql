-- Asymmetric keys keep their public key (DER SubjectPublicKeyInfo) beside the record; it is
-- public, so stored in the clear. The private key is sealed material like any other.
ALTER TABLE keys ADD COLUMN public_key BLOB;
