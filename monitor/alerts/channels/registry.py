"""Channel kinds by name: each a module with send(channel, message, env) -> Result."""
from __future__ import annotations

from remarkwatch.alerts.channels import apprise_url, mail, webhook

SENDERS = {"webhook": webhook.send, "email": mail.send, "apprise": apprise_url.send}
