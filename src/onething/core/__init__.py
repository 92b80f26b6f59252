"""Django-aware building blocks shared by every app: API errors and response declarations.

Sits between the kernel (pure logic) and the domain apps; imports no app.
"""
