"""Pages of interaction: the public Q&A and FAQ (public.py) and the staff workbench (manage.py, faq.py)."""
