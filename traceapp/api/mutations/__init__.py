"""Mutations: one per domain service, each also preparable for a client-held key."""
