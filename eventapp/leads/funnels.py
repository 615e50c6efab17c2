"""Funnels and analytics (issue 16, helper "funnels"): invited → opened → clicked → registered → confirmed → attended
→ MQL → accepted → won per event and campaign, broken down and over time, costs per result."""
