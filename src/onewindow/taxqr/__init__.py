"""Smart tax: housing-transaction information capture (房交信息采集系统).

This package currently holds the QR transport (codec, keys, images); the Django app
(client form, window scan, archive) is issue #5.
"""
