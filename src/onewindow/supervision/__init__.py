"""事中事后综合监管 (in-process and after-the-fact supervision), issues #11 and #12.

The measures on top of the market registry: 双告知 (dual notice) and the enforcement officers
(执法人员名录库) in issue #11; 双随机, joint inspections, sanctions and alerts in issue #12.
"""
