"""What people ask Lukas to do: announcements, reminders, team info, help, settings."""
