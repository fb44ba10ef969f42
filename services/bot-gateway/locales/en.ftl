# The conversation of the bot gateway, in English.
# Every message here has the same id and variables in ru.ftl (a unit test checks it).

credits-count = { $count ->
        [one] { $count } credit
       *[other] { $count } credits
    }
videos-count = { $count ->
        [one] { $count } video
       *[other] { $count } videos
    }

## Start and the main menu

welcome-new =
    👋 Hi, { $name }! I make short marketplace videos from a single product photo.
    🎁 Here are { credits-count } on us: { videos-count } for free.
    Balance: { $balance }
welcome-back =
    👋 Welcome back, { $name }!
    Balance: { $balance }
menu-title = What shall we do?
menu-create = 🎬 Create a video
menu-balance = 💰 Balance and history
menu-videos = 🎞 My videos
menu-buy = 💳 Buy credits
menu-help = ❓ Help
menu-language = 🌐 Language
button-menu = ⬅️ Menu
button-cancel = ✖️ Cancel

help =
    How it works:
    1. Press “Create a video” and send a photo of the product.
    2. Describe the product in a sentence or two.
    3. Pick a style and, if you like, add your wishes.
    4. Choose how many videos to make and confirm.
    The videos arrive here in 5-10 minutes. Each video costs { credits-count }; if one does not work out, the credit comes back.
    Commands: /start for the menu, /buy to buy credits, /language for the language, /paysupport for payment questions.

## Creating a video

ask-photo =
    📸 Send one photo of the product.
    { photo-requirements }
photo-requirements =
    What the photo needs:
    • one product, large, with no people and no other brands' logos;
    • bright and sharp, at least 512 pixels on the short side;
    • no text over the product.
ask-description = ✍️ Describe the product: what it is, what it is made of, who it is for. Up to { $max } characters.
choose-style = 🎨 Pick a style for the video:
ask-wishes = 💬 Any wishes for the video (background colour, mood, what to show)? Write them, or press “Skip”.
button-skip = Skip
choose-count = 🔢 How many videos? Each costs { credits-count }.
confirm-order =
    Please check your order:
    • Product: { $product }
    • Style: { $style }
    • Wishes: { $wishes }
    • Number: { videos-count }
    • Cost: { $cost }
    • Balance after: { $after }
confirm-no-wishes = none
button-confirm = ✅ Start
confirm-not-enough =
    Not enough credits: { $cost } needed, { $balance } available.
    Top up, or choose fewer videos.
order-started = 🚀 Started { videos-count }! They will be ready in about 5-10 minutes, right here.
order-already-started = This order has already started: the videos are on their way.
order-cancelled = All right, cancelled. Nothing was charged.

## Bad input

photo-too-large = This file is too large: up to { $maxMb } MB. Please send a smaller photo.
photo-too-small = The photo is too small: it needs at least 512 pixels on the short side.
not-a-photo = That is not a photo. Please send a photo of the product (a JPG or PNG file works too).
unsupported-message = I understand photos, text and buttons only. { $hint }
hint-photo = Please send a photo of the product.
hint-description = Please describe the product in text.
hint-wishes = Write your wishes in text, or press “Skip”.
hint-buttons = Please choose with a button above.
hint-menu = Open the menu: /start
description-too-long = That is too long: { $length } characters of { $max }. Please shorten it.
description-too-short = Please describe the product in a few words at least.
wishes-too-long = The wishes are too long: { $length } characters of { $max }.
old-button = This button is from an old message.
flood = Too many messages. Please wait a moment.
too-many-jobs = You already have { videos-count } in the works. Please wait for them: at most { $max } at a time.
banned = Access to the bot is closed. If this is a mistake, write to support: /paysupport
unknown-command = I do not know that command. The menu: /start

## Balance, history and videos

balance =
    💰 Balance: { credits-count }{ $reserved ->
        [0] {""}
       *[other] {" "}({ $reserved } more in the works)
    }
history-title = Recent movements:
history-empty = No movements yet.
history-entry = { $date } { $sign }{ $amount }: { $kind }
kind-free_grant = welcome gift
kind-admin_grant = granted by an admin
kind-referral_bonus = referral bonus
kind-purchase = purchase
kind-payment_refund = payment refunded
kind-reserve = video ordered
kind-capture = video delivered
kind-refund = video refunded
videos-title = Your recent videos:
videos-empty = No videos yet. Press “Create a video”.
video-entry = { $date } “{ $product }”: { $status }
status-requested = received
status-reserved = queued
status-rejected = not enough credits
status-generating = in the works
status-ready = being sent
status-delivered = delivered
status-failed = did not work out, credit returned

## Payments

buy-title = 💳 Credit packs (paid in Telegram Stars):
buy-package = { credits-count }: { $stars } ⭐
invoice-title = { credits-count }
invoice-description = { credits-count } for Neurocards videos: { videos-count }.
invoice-label = { credits-count }
precheckout-unknown-package = This pack is no longer sold. Please open /buy again.
precheckout-price-changed = The price has changed. Please open /buy again.
precheckout-banned = Payments are not available.
payment-received = ⭐ Payment received! { credits-count } will be on your balance in a moment.
payment-received-unmatched =
    ⭐ Payment received, but we could not tell which pack it was for. We will add the credits by hand;
    if they are not on your balance within a day, write /paysupport and quote the payment { $chargeId }.
paysupport =
    Payment questions: write to us in this chat, starting with /paysupport, and describe the problem; we answer within a day.
    Unused credits can be refunded within 14 days: the Stars go back to your account.

## Language

choose-language = Choose a language:
language-changed = Done: English from now on.

## Admin

admin-help =
    Admin commands:
    /grant <id> <credits> [reason]: grant credits
    /user <id>: about a user
    /ban <id> [reason], /unban <id>
    /refund <charge_id>: refund a payment
    /stats: today
admin-usage = Usage: { $usage }
admin-granted = A grant of { credits-count } for { $userId } is recorded.
admin-banned = User { $userId } is banned.
admin-unbanned = User { $userId } is unbanned.
admin-refund-requested = Refund of payment { $chargeId } ({ $stars } ⭐, user { $userId }) requested.
admin-no-payment = Payment { $chargeId } not found.
admin-no-user = User { $userId } not found.
admin-user =
    User { $userId } (@{ $username }, { $name }), language { $language }
    Balance: { $balance }, in the works: { $reserved }
    Videos: { $jobs } in all, { $delivered } delivered, { $failed } failed
    Purchases: { $purchases } for { $stars } ⭐
    With us since { $since }{ $banned ->
        [yes] , BANNED
       *[no] {""}
    }
admin-stats =
    Today ({ $day }):
    New users: { $newUsers }, active: { $activeUsers }
    Videos ordered: { $requested }, delivered: { $delivered }, failed: { $failed }
    Payments: { $payments } for { $stars } ⭐

## Delivery buttons

resend-started = 📩 Sending the video again…
resend-unavailable = This video cannot be sent again.
