"""A person's data on request (issue 16, helper "contact"): export everything held about them, and erase it while
anonymous counts stay (funnels stay right)."""
