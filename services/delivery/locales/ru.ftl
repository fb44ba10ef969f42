# Messages that delivery sends: finished videos and the news about jobs. Russian is the default language.
# Every message here has the same id and variables in en.ftl (a unit test checks it).

credits-count = { $count ->
    [one] { $count } кредит
    [few] { $count } кредита
   *[many] { $count } кредитов
    }

## The finished video

video-caption =
    ✅ Готово: «{ $product }»
    Баланс: { credits-count }
video-low-balance = Кредиты заканчиваются — пополните баланс, чтобы следующие видео не ждали.
video-link =
    ✅ Видео для «{ $product }» готово, но оно слишком большое для отправки в чат. Скачайте его по ссылке:
    { $url }
    Баланс: { credits-count }

## Buttons

button-another = 🔁 Ещё одно с этим товаром
button-menu = Меню
button-buy = 💳 Купить кредиты
button-try-again = 🔁 Попробовать ещё раз
button-resend = 📩 Отправить ещё раз

## Before and during the work

not-enough-credits =
    Не хватает кредитов: нужно { credits-count }, на балансе { $available }.
    Пополните баланс, чтобы продолжить.
still-working =
    ⏳ Видео ещё готовится: сейчас большая очередь.
    Пришлём его сюда, как только будет готово. Если не получится — кредит вернётся на баланс.

## Refunds: one message per outcome

refund-user-violation =
    ⚠️ Видео не получилось сделать по этому фото: { $hint }
    { photo-requirements }
    💰 Кредит вернулся на баланс.
refund-temporary =
    ⚠️ Сервис генерации сейчас перегружен, видео не получилось.
    💰 Кредит вернулся на баланс. Попробуйте ещё раз через несколько минут.
refund-timeout =
    ⚠️ Видео готовилось слишком долго, и мы остановили работу.
    💰 Кредит вернулся на баланс. Попробуйте ещё раз.
refund-cancelled = Заказ отменён. 💰 Кредит вернулся на баланс.
refund-delivery-failed =
    ⚠️ Видео готово, но отправить его в Telegram не удалось.
    💰 Кредит вернулся на баланс. Нажмите «Отправить ещё раз» чуть позже.

photo-requirements =
    Что нужно от фото:
    • один товар крупно, без людей и чужих логотипов;
    • светлое и резкое, от 512 пикселей по короткой стороне;
    • без надписей поверх товара.

## What to change in the photo, by the generator's error code

hint-photo_people = на фото есть люди, а модель не принимает фото с людьми. Снимите товар без людей.
hint-third_party_content = на фото чужой бренд или персонаж. Уберите чужие логотипы и персонажей.
hint-content_policy = модель сочла фото или описание нарушающими её правила. Попробуйте другое фото и описание без спорных слов.
hint-moderation = модель сочла фото или описание нарушающими её правила. Попробуйте другое фото и описание без спорных слов.
hint-photo_too_small = фото слишком маленькое. Пришлите фото от 512 пикселей по короткой стороне.
hint-photo_not_an_image = файл не является фотографией в JPEG, PNG или WebP. Пришлите само фото или сохраните его как JPG или PNG.
hint-photo_too_large = файл слишком большой. Пришлите фото поменьше.
hint-photo_not_found = мы не смогли получить его из Telegram. Пожалуйста, пришлите фото ещё раз.
hint-photo_too_dark = фото слишком тёмное. Снимите товар при хорошем свете.
hint-no_product = модель не нашла на фото товар. Снимите один товар крупно, на простом фоне.
hint-other = модель отклонила фото. Попробуйте другое фото товара.

## Resending a video after a failed delivery

resend-unavailable = Это видео больше нельзя отправить: ссылка на него устарела. Закажите новое — кредит за прошлое уже вернулся.
resend-failed = Снова не получилось отправить видео. Попробуйте ещё раз чуть позже.
