# Flask-WTF 1.3.0: the names LienThong uses.
from flask_wtf.csrf import CSRFProtect as CSRFProtect
from flask_wtf.form import FlaskForm as FlaskForm
