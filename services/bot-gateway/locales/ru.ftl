# The conversation of the bot gateway, in Russian (the default language).
# Every message here has the same id and variables in en.ftl (a unit test checks it).

credits-count = { $count ->
        [one] { $count } кредит
        [few] { $count } кредита
       *[many] { $count } кредитов
    }
videos-count = { $count ->
        [one] { $count } видео
       *[other] { $count } видео
    }

## Start and the main menu

welcome-new =
    👋 Привет, { $name }! Я делаю короткие рекламные видео для маркетплейсов из одного фото товара.
    🎁 Дарим { credits-count } — это { videos-count } бесплатно.
    Баланс: { $balance }
welcome-back =
    👋 С возвращением, { $name }!
    Баланс: { $balance }
menu-title = Что делаем?
menu-create = 🎬 Создать видео
menu-balance = 💰 Баланс и история
menu-videos = 🎞 Мои видео
menu-buy = 💳 Купить кредиты
menu-help = ❓ Помощь
menu-language = 🌐 Язык
button-menu = ⬅️ Меню
button-cancel = ✖️ Отмена

help =
    Как это работает:
    1. Нажмите «Создать видео» и пришлите фото товара.
    2. Опишите товар в паре предложений.
    3. Выберите стиль и, если хотите, добавьте пожелания.
    4. Выберите, сколько видео сделать, и подтвердите.
    Через 5–10 минут видео придут сюда. Каждое видео стоит { credits-count }; если что-то не получится, кредит вернётся.
    Команды: /start — меню, /buy — купить кредиты, /language — язык, /paysupport — вопросы об оплате.

## Creating a video

ask-photo =
    📸 Пришлите одно фото товара.
    { photo-requirements }
photo-requirements =
    Что нужно от фото:
    • один товар крупно, без людей и чужих логотипов;
    • светлое и резкое, от 512 пикселей по короткой стороне;
    • без надписей поверх товара.
ask-description = ✍️ Опишите товар: что это, из чего, для кого. До { $max } символов.
choose-style = 🎨 Выберите стиль видео:
ask-wishes = 💬 Есть пожелания к видео (цвет фона, настроение, акцент)? Напишите их или нажмите «Пропустить».
button-skip = Пропустить
choose-count = 🔢 Сколько видео сделать? Каждое стоит { credits-count }.
confirm-order =
    Проверьте заказ:
    • Товар: { $product }
    • Стиль: { $style }
    • Пожелания: { $wishes }
    • Количество: { videos-count }
    • Стоимость: { $cost }
    • Баланс после: { $after }
confirm-no-wishes = нет
button-confirm = ✅ Запустить
confirm-not-enough =
    Не хватает кредитов: нужно { $cost }, на балансе { $balance }.
    Пополните баланс или выберите меньше видео.
order-started = 🚀 Запустили { videos-count }! Будет готово примерно через 5–10 минут — пришлём сюда.
order-already-started = Этот заказ уже запущен — видео скоро придут.
order-cancelled = Хорошо, отменили. Ничего не списано.

## Bad input

photo-too-large = Этот файл слишком большой: до { $maxMb } МБ. Пришлите фото поменьше.
photo-too-small = Фото слишком маленькое: нужно от 512 пикселей по короткой стороне.
not-a-photo = Это не фото. Пришлите фото товара (можно файлом JPG или PNG).
unsupported-message = Я понимаю только фото, текст и кнопки. { $hint }
hint-photo = Пришлите фото товара.
hint-description = Напишите описание товара текстом.
hint-wishes = Напишите пожелания текстом или нажмите «Пропустить».
hint-buttons = Выберите вариант кнопкой выше.
hint-menu = Откройте меню: /start
description-too-long = Слишком длинно: { $length } символов из { $max }. Сократите, пожалуйста.
description-too-short = Опишите товар хотя бы парой слов.
wishes-too-long = Пожелания слишком длинные: { $length } символов из { $max }.
old-button = Эта кнопка из старого сообщения.
flood = Слишком много сообщений. Подождите немного.
too-many-jobs = У вас уже готовится { videos-count }. Дождитесь их — максимум { $max } одновременно.
banned = Доступ к боту закрыт. Если это ошибка, напишите в поддержку: /paysupport
unknown-command = Не знаю такой команды. Меню: /start

## Balance, history and videos

balance =
    💰 Баланс: { credits-count }{ $reserved ->
        [0] {""}
       *[other] {" "}(ещё { $reserved } в работе)
    }
history-title = Последние движения:
history-empty = Движений пока нет.
history-entry = { $date } { $sign }{ $amount } — { $kind }
kind-free_grant = подарок новичку
kind-admin_grant = начислено администратором
kind-referral_bonus = бонус за друга
kind-purchase = покупка
kind-payment_refund = возврат оплаты
kind-reserve = заказ видео
kind-capture = видео доставлено
kind-refund = возврат за видео
videos-title = Ваши последние видео:
videos-empty = Видео пока нет. Нажмите «Создать видео».
video-entry = { $date } «{ $product }» — { $status }
status-requested = принят
status-reserved = в очереди
status-rejected = не хватило кредитов
status-generating = готовится
status-ready = отправляется
status-delivered = доставлено
status-failed = не получилось, кредит вернули

## Payments

buy-title = 💳 Пакеты кредитов (оплата в Telegram Stars):
buy-package = { credits-count } — { $stars } ⭐
invoice-title = { credits-count }
invoice-description = { credits-count } для видео в Neurocards: { videos-count }.
invoice-label = { credits-count }
precheckout-unknown-package = Этот пакет больше не продаётся. Откройте /buy заново.
precheckout-price-changed = Цена изменилась. Откройте /buy заново.
precheckout-banned = Оплата недоступна.
payment-received = ⭐ Оплата получена! { credits-count } скоро будут на балансе.
payment-received-unmatched =
    ⭐ Оплата получена, но мы не поняли, за какой пакет. Кредиты начислим вручную;
    если за сутки они не появятся на балансе, напишите /paysupport и укажите платёж { $chargeId }.
paysupport =
    Вопросы об оплате: напишите нам в этот чат, начав с /paysupport, и опишите проблему — мы ответим в течение суток.
    Неиспользованные кредиты можно вернуть в течение 14 дней: Stars вернутся на ваш счёт.

## Language

choose-language = Выберите язык:
language-changed = Готово: теперь по-русски.

## Admin

admin-help =
    Команды администратора:
    /grant <id> <кредиты> [причина] — начислить
    /user <id> — о пользователе
    /ban <id> [причина], /unban <id>
    /refund <charge_id> — вернуть платёж
    /stats — за сегодня
admin-usage = Формат: { $usage }
admin-granted = Запрос на { credits-count } для { $userId } записан.
admin-banned = Пользователь { $userId } заблокирован.
admin-unbanned = Пользователь { $userId } разблокирован.
admin-refund-requested = Возврат платежа { $chargeId } ({ $stars } ⭐, пользователь { $userId }) запрошен.
admin-no-payment = Платёж { $chargeId } не найден.
admin-no-user = Пользователь { $userId } не найден.
admin-user =
    Пользователь { $userId } (@{ $username }, { $name }), язык { $language }
    Баланс: { $balance }, в работе: { $reserved }
    Видео: { $jobs } всего, { $delivered } доставлено, { $failed } неудачно
    Покупок: { $purchases } на { $stars } ⭐
    С нами с { $since }{ $banned ->
        [yes] , ЗАБЛОКИРОВАН
       *[no] {""}
    }
admin-stats =
    Сегодня ({ $day }):
    Новых пользователей: { $newUsers }, активных: { $activeUsers }
    Видео заказано: { $requested }, доставлено: { $delivered }, неудачно: { $failed }
    Оплат: { $payments } на { $stars } ⭐

## Delivery buttons

resend-started = 📩 Отправляем видео ещё раз…
resend-unavailable = Это видео нельзя отправить ещё раз.
