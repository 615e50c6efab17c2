"""Outgoing webhooks (issue 16, helper "webhooks"): Standard Webhooks signatures, deliveries written in the action's
transaction, sent by the minute sweep with backoff, 410 disables, a delivery log and Resend."""
