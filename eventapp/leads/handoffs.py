"""Handing MQLs to sales (issue 16, helper "handoff"): assignment by rule or by hand, the handoff mail with the
personal feedback link, deadlines in working days, reminders for overdue answers, feedback moving the stage."""
