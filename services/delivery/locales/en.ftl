# Messages that delivery sends: finished videos and the news about jobs, in English.
# Every message here has the same id and variables in ru.ftl (a unit test checks it).

credits-count = { $count ->
    [one] { $count } credit
   *[other] { $count } credits
    }

## The finished video

video-caption =
    ✅ Done: “{ $product }”
    Balance: { credits-count }
video-low-balance = You are running low on credits: top up so that your next videos do not wait.
video-link =
    ✅ Your video for “{ $product }” is ready, but it is too large to send in the chat. Download it here:
    { $url }
    Balance: { credits-count }

## Buttons

button-another = 🔁 Another one with this product
button-menu = Menu
button-buy = 💳 Buy credits
button-try-again = 🔁 Try again
button-resend = 📩 Send it again

## Before and during the work

not-enough-credits =
    Not enough credits: { credits-count } needed, { $available } available.
    Top up to continue.
still-working =
    ⏳ Your video is still in the works: the queue is busy right now.
    We will send it here as soon as it is ready. If it fails, the credit comes back.

## Refunds: one message per outcome

refund-user-violation =
    ⚠️ We could not make a video from this photo: { $hint }
    { photo-requirements }
    💰 Your credit is back on your balance.
refund-temporary =
    ⚠️ The video service is overloaded right now and the video did not work out.
    💰 Your credit is back on your balance. Please try again in a few minutes.
refund-timeout =
    ⚠️ The video took too long, so we stopped the work.
    💰 Your credit is back on your balance. Please try again.
refund-cancelled = The order was cancelled. 💰 Your credit is back on your balance.
refund-delivery-failed =
    ⚠️ The video was made, but we could not send it over Telegram.
    💰 Your credit is back on your balance. Press “Send it again” a little later.

photo-requirements =
    What the photo needs:
    • one product, large, with no people and no other brands' logos;
    • bright and sharp, at least 512 pixels on the short side;
    • no text over the product.

## What to change in the photo, by the generator's error code

hint-photo_people = there are people in it, and the model does not accept photos of people. Shoot the product alone.
hint-third_party_content = it shows another brand or character. Remove other logos and characters.
hint-content_policy = the model found the photo or the description against its rules. Try another photo and a plainer description.
hint-moderation = the model found the photo or the description against its rules. Try another photo and a plainer description.
hint-photo_too_small = it is too small. Send a photo at least 512 pixels on the short side.
hint-photo_not_an_image = the file is not a JPEG, PNG or WebP photo. Send the photo itself, or save it as JPG or PNG.
hint-photo_too_large = the file is too large for us to take. Send a smaller photo.
hint-photo_not_found = we could not fetch it from Telegram any more. Please send the photo again.
hint-photo_too_dark = it is too dark. Shoot the product in good light.
hint-no_product = the model found no product in it. Shoot one product, large, on a plain background.
hint-other = the model turned it down. Try another photo of the product.

## Resending a video after a failed delivery

resend-unavailable = This video can no longer be sent: its link has expired. Order a new one; the credit for this one is already back.
resend-failed = We could not send the video this time either. Please try again a little later.
