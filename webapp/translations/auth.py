"""Spanish for the sign-in screens, sessions and the partner picker."""

ES: dict[str, str] = {
    # forms
    "Email": "Correo electrónico",
    "Password": "Contraseña",
    "Verification code": "Código de verificación",
    "Enter your email address.": "Escriba su correo electrónico.",
    "Enter a valid email address.": "Escriba un correo electrónico válido.",
    "Enter your password.": "Escriba su contraseña.",
    "Enter the 6-digit code.": "Escriba el código de 6 dígitos.",
    "The code has 6 digits.": "El código tiene 6 dígitos.",
    # sign-in page
    "Migo CMS console": "Consola CMS de Migo",
    "Sign in": "Iniciar sesión",
    "Continue": "Continuar",
    "After your password we email you a 6-digit code.": (
        "Después de su contraseña le enviaremos por correo un código de 6 dígitos."
    ),
    "Environment": "Entorno",
    "Connected to the CMS": "Conectado al CMS",
    "The CMS is not reachable right now": "El CMS no está disponible en este momento",
    # reasons for showing the sign-in page
    "You have signed out.": "Ha cerrado sesión.",
    "Your session ended after a period of inactivity. Sign in again to continue.": (
        "Su sesión terminó por inactividad. Inicie sesión de nuevo para continuar."
    ),
    "Your session reached its maximum length. Sign in again to continue.": (
        "Su sesión alcanzó su duración máxima. Inicie sesión de nuevo para continuar."
    ),
    "Your session with the CMS ended. Sign in again; your unsaved form has been kept.": (
        "Su sesión con el CMS terminó. Inicie sesión de nuevo; se guardó su formulario sin enviar."
    ),
    "Your sign-in expired before the code was entered. Start again.": (
        "El inicio de sesión venció antes de escribir el código. Empiece de nuevo."
    ),
    # failures
    "The email or password is wrong, or this account cannot sign in right now. If you are sure of your "
    "password, look for a notice in your email or ask an administrator.": (
        "El correo o la contraseña no son correctos, o esta cuenta no puede iniciar sesión ahora. Si está "
        "seguro de su contraseña, busque un aviso en su correo o consulte a un administrador."
    ),
    "Too many attempts.": "Demasiados intentos.",
    "Try again in a few minutes.": "Vuelva a intentarlo en unos minutos.",
    "Try again in {n} seconds.": "Vuelva a intentarlo en {n} segundos.",
    "Try again in {n} minutes.": "Vuelva a intentarlo en {n} minutos.",
    "The CMS is not answering right now. Try again in a minute.": (
        "El CMS no responde en este momento. Vuelva a intentarlo en un minuto."
    ),
    "That code has expired or was already used. Send a new code.": (
        "Ese código venció o ya se usó. Solicite un código nuevo."
    ),
    "That code is wrong. Check the latest email and try again.": (
        "Ese código no es correcto. Revise el correo más reciente e inténtelo de nuevo."
    ),
    "Signing in could not be completed because the CMS did not answer. Sign in again.": (
        "No se pudo completar el inicio de sesión porque el CMS no respondió. Inicie sesión de nuevo."
    ),
    # code page
    "Enter your code": "Escriba su código",
    "We sent a 6-digit code to {email}. It is valid for a few minutes.": (
        "Enviamos un código de 6 dígitos a {email}. Es válido por unos minutos."
    ),
    "Verify and sign in": "Verificar e iniciar sesión",
    "Send a new code": "Enviar un código nuevo",
    "Use another account": "Usar otra cuenta",
    "We sent a new code. Use the latest one.": "Enviamos un código nuevo. Use el más reciente.",
    "Sandbox: codes are delivered to the": "Sandbox: los códigos llegan al",
    "sandbox mailbox": "buzón del sandbox",
    # partner picker and session
    "Choose a partner": "Elija un socio",
    "You work with several partners. Every screen shows one partner's data; you can switch at any time.": (
        "Usted trabaja con varios socios. Cada pantalla muestra los datos de un socio; puede cambiar en "
        "cualquier momento."
    ),
    "No partner is assigned to your account yet. Ask an administrator to assign one.": (
        "Su cuenta todavía no tiene un socio asignado. Pida a un administrador que le asigne uno."
    ),
    "Signed in as {email}": "Sesión iniciada como {email}",
    "Sign out": "Cerrar sesión",
    "You are still signed in.": "Su sesión sigue activa.",
}
