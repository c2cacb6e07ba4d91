"""The accounts domain: people (not tokens), their invitations, sessions and sign-ins."""
