"""The people an organisation knows: contacts, their consents, the suppression list, normalising what they type."""
