"""Slack through slack-sdk: Socket Mode events in, Web API replies out."""
