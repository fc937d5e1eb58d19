"""Spanish for the step-up (fresh code) flow."""

ES: dict[str, str] = {
    "Code from your email": "Código de su correo",
    "Enter the 6-digit code.": "Ingrese el código de 6 dígitos.",
    "This action needs a fresh code.": "Esta acción necesita un código reciente.",
    "No code has been sent yet: press “Send code”, then enter the code from your email.": (
        "Todavía no se ha enviado ningún código: pulse «Enviar código» e ingrese el código de su correo."
    ),
    "Enter the code we sent to your email, or send a new one.": (
        "Ingrese el código que enviamos a su correo, o envíe uno nuevo."
    ),
    "The code has expired. Send a new one.": "El código venció. Envíe uno nuevo.",
    "The code is not valid: check the six digits, or send a new code.": (
        "El código no es válido: revise los seis dígitos o envíe un código nuevo."
    ),
    "Confirm with a code": "Confirme con un código",
    "This action needs a fresh one-time code. We send it to your email.": (
        "Esta acción necesita un código de un solo uso reciente. Se lo enviamos a su correo."
    ),
    "Send code": "Enviar código",
    "Code sent to {email}. It is valid for {minutes} min.": (
        "Código enviado a {email}. Es válido por {minutes} min."
    ),
    "Open the sandbox mailbox": "Abrir el buzón del sandbox",
}
