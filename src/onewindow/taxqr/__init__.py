"""Smart tax: housing-transaction information capture (房交信息采集系统, issue #5).

The QR transport (codec, keys, images), the record and its versioned rules, the tax estimate,
and the Django app around them: the client form (房产交易辅助), the window scan (数据内部管理),
the archive (资料归档) and the analysis (数据运用分析).
"""
