# V-Appointment पुलिस स्टेशन के नागरिकों के लिए पेज और ईमेल, हिंदी में।
# अनुवादकों के लिए: हर message id वैसा ही रखें; केवल "=" के बाद का पाठ बदलें।
# { $name } जैसे हिस्से स्टेशन द्वारा भरे जाते हैं; इन्हें जैसा है वैसा ही रखें।

site-title = V-Appointment
site-tagline = वीडियो कॉल से पुलिस अधिकारी से मिलें
lang-switch = भाषा
skip-to-content = मुख्य सामग्री पर जाएँ
station-zone = { $zone }
footer-truth = सभी समय { $tz } समय के अनुसार हैं। यह वेबसाइट पुलिस स्टेशन के अपने कंप्यूटर पर चलती है।

# मुख्य पेज
home-intro = अपने फ़ोन से वीडियो कॉल पर इस पुलिस स्टेशन के वरिष्ठ अधिकारी से मिलें। अधिकारी और समय चुनें; आपको ईमेल पर 4 अंकों का टोकन मिलेगा।
officers-heading = अधिकारी और खाली समय
next-free = अगले खाली समय
no-officers = अभी यहाँ कोई भी अधिकारी मुलाकात का समय नहीं दे रहे हैं।
no-free-slots = अगले 14 दिनों में कोई खाली समय नहीं है।
all-times = { $name } के सभी समय

# एक अधिकारी का दिन
day-heading = { $name }: { $date }
day-none = इस दिन मुलाकात का कोई समय नहीं है।
day-prev = पिछला दिन
day-next = अगला दिन
slot-taken = बुक हो चुका
choose-day = दिन चुनें

# बुकिंग फ़ॉर्म
book-heading = वीडियो मुलाकात बुक करें
book-with = { $name }, { $rank } के साथ
book-when = { $date }, { $time } ({ $minutes } मिनट)
field-name = पूरा नाम
field-email = ईमेल
field-email-help = आपका टोकन और वीडियो कॉल का लिंक इसी ईमेल पर भेजा जाएगा।
field-mobile = मोबाइल नंबर (वैकल्पिक)
field-category = कारण
field-reason = अपना कारण लिखें
field-reason-help = अधिकतम 1000 अक्षर। “अन्य” चुनने पर यह लिखना ज़रूरी है।
field-documents = दस्तावेज़ (वैकल्पिक)
field-documents-help = अधिकतम 5 फ़ाइलें: PDF, JPEG या PNG, हर फ़ाइल 10 MB तक।
category-complaint = शिकायत
category-fir_follow_up = FIR के संबंध में फॉलो-अप
category-lost_article = खोया हुआ सामान
category-domestic_violence = घरेलू हिंसा
category-cyber_fraud = साइबर धोखाधड़ी
category-other = अन्य
choose-category = कारण चुनें
book-submit = मुलाकात बुक करें
book-privacy = आप जो लिखते हैं और अपलोड करते हैं, उसे केवल इस पुलिस स्टेशन के अधिकारी देख सकते हैं।

# पुष्टि
booked-heading = आपकी मुलाकात बुक हो गई है
booked-reference = संदर्भ संख्या
booked-email-sent = हमने { $email } पर ईमेल भेजा है, जिसमें आपका 4 अंकों का टोकन और वीडियो कॉल से जुड़ने का लिंक है।
booked-keep = यह ईमेल संभालकर रखें। मुलाकात के समय इसी ईमेल से जुड़ें; टोकन मुलाकात से 15 मिनट पहले से काम करेगा।
booked-no-mail = अगर एक घंटे में ईमेल न आए, तो अपना स्पैम फ़ोल्डर देखें।

# एक मुलाकात का प्रबंधन (ईमेल में दिया लिंक)
manage-heading = आपकी मुलाकात
manage-officer = अधिकारी
manage-when = कब
manage-status = स्थिति
status-booked = बुक है
status-cancelled = रद्द
manage-change-until = आप इसे { $date } को { $time } तक रद्द कर सकते हैं या बदल सकते हैं।
manage-too-late = अब इस मुलाकात को ऑनलाइन रद्द करने या बदलने का समय निकल चुका है।
cancel-button = यह मुलाकात रद्द करें
cancel-done = आपकी मुलाकात रद्द हो गई है। पुष्टि के लिए हमने आपको ईमेल भेजा है।
reschedule-heading = दूसरा समय चुनें
reschedule-button = यह समय चुनें
reschedule-done = आपकी मुलाकात का समय बदल दिया गया है। हमने आपको नए टोकन के साथ ईमेल भेजा है।
join-link = वीडियो कॉल से जुड़ें

# जुड़ें (टोकन)
join-heading = अपनी मुलाकात से जुड़ें
join-token-label = ईमेल में मिला आपका 4 अंकों का टोकन
join-button = आगे बढ़ें
join-opens = टोकन आपकी मुलाकात के समय ({ $time }) से 15 मिनट पहले से काम करेगा।
join-new-token = मुझे ईमेल पर नया टोकन भेजें
join-new-token-sent = हमने आपके ईमेल पर नया टोकन भेजा है। पुराना टोकन अब काम नहीं करेगा।

# त्रुटियाँ (नागरिकों को दिखने वाली)
err-invalid = कृपया फ़ॉर्म जाँच लें।
err-required = यह भरना ज़रूरी है।
err-too_long = यह बहुत लंबा है।
err-invalid_email = यह सही ईमेल पता नहीं लगता।
err-invalid_mobile = 7 से 15 अंक लिखें, जैसे +91 98220 12345।
err-required_for_other = कृपया अपना कारण लिखें।
err-invalid_start = यह समय सही नहीं है।
err-past = यह समय निकल चुका है। कृपया दूसरा समय चुनें।
err-not_offered = अधिकारी इस समय मुलाकात नहीं देते।
err-too_far = आप अधिकतम 30 दिन पहले तक बुक कर सकते हैं।
err-unknown_officer = ये अधिकारी उपलब्ध नहीं हैं।
err-slot_taken = यह समय अभी-अभी किसी और ने बुक कर लिया है। कृपया दूसरा समय चुनें।
err-email_day_taken = उस दिन इन अधिकारी के साथ आपकी पहले से एक मुलाकात बुक है।
err-too_many_documents = अधिकतम 5 दस्तावेज़ भेजे जा सकते हैं।
err-too_large = एक दस्तावेज़ 10 MB से बड़ा है। कृपया छोटी फ़ाइल भेजें।
err-unsupported_document = केवल PDF, JPEG और PNG फ़ाइलें भेजी जा सकती हैं।
err-rate_limited = बहुत बार कोशिश की गई। कृपया एक मिनट रुककर फिर से कोशिश करें।
err-not_found = यह पेज नहीं मिला। अपने ईमेल में दिया गया लिंक जाँचें।
err-too_late = अब इस मुलाकात को ऑनलाइन बदलने का समय निकल चुका है। कृपया पुलिस स्टेशन को फ़ोन करें।
err-not_booked = यह मुलाकात रद्द हो चुकी है।
err-wrong_token = यह टोकन सही नहीं है। बची हुई कोशिशें: { $tries }।
err-token_dead = बहुत बार गलत टोकन डाला गया। नीचे से नया टोकन मँगवाएँ।
err-too_early = अभी जल्दी है: टोकन आपकी मुलाकात से 15 मिनट पहले से काम करेगा।
err-ended = यह मुलाकात समाप्त हो चुकी है।
err-forbidden = आपको यह करने की अनुमति नहीं है।
err-bad_request = यह अनुरोध पढ़ा नहीं जा सका।
err-internal = हमारी ओर से कुछ गड़बड़ हो गई। आपकी कोई जानकारी नहीं खोई है; कृपया फिर से कोशिश करें।
back-home = पुलिस स्टेशन के पेज पर वापस जाएँ
setup-not-open = इस पुलिस स्टेशन की बुकिंग साइट अभी शुरू नहीं हुई है। कृपया बाद में फिर कोशिश करें।

# ईमेल
email-booked-subject = { $date } को आपकी वीडियो मुलाकात { $reference }
email-moved-subject = समय बदला: { $date } को आपकी वीडियो मुलाकात { $reference }
email-cancelled-subject = रद्द: आपकी वीडियो मुलाकात { $reference }
email-token-subject = आपकी वीडियो मुलाकात { $reference } के लिए नया टोकन
email-hello = नमस्ते { $name },
email-booked-intro = { $station } में आपकी वीडियो मुलाकात बुक हो गई है।
email-moved-intro = { $station } में आपकी वीडियो मुलाकात का समय बदलकर नया समय कर दिया गया है।
email-cancelled-intro = { $station } में आपकी वीडियो मुलाकात रद्द कर दी गई है।
email-token-intro = आपकी वीडियो मुलाकात के लिए यह नया टोकन है। पुराना टोकन अब काम नहीं करेगा।
email-token-label = आपका 4 अंकों का टोकन (इसे किसी को न बताएँ):
email-when = कब: { $date }, { $time }
email-officer = अधिकारी: { $name }, { $rank }
email-reference = संदर्भ संख्या: { $reference }
email-join = जुड़ने के लिए, मुलाकात के समय यह लिंक खोलें और टोकन डालें:
email-manage = मुलाकात रद्द करने या बदलने के लिए ({ $date } को { $time } तक):
email-calendar = साथ में जुड़ी फ़ाइल से यह मुलाकात आपके कैलेंडर में जुड़ जाएगी।
email-footer = { $station }, { $zone }। यह ईमेल इसलिए भेजा गया है क्योंकि किसी ने इस ईमेल पते से मुलाकात बुक की है। अगर यह आपने नहीं किया, तो इस ईमेल को अनदेखा कर दें।
ics-summary = { $name } ({ $station }) के साथ वीडियो मुलाकात

# वेटिंग रूम और वीडियो कॉल
call-heading = आपकी वीडियो मुलाकात
call-device-heading = कॉल शुरू होने से पहले
call-check-camera = आपके कैमरे और माइक की जाँच हो रही है…
call-camera-ok = कैमरा और माइक ठीक से काम कर रहे हैं।
call-camera-denied = ब्राउज़र ने कैमरा या माइक चलाने की अनुमति नहीं दी। वेब पते के पास बने ताले या कैमरे के निशान पर टैप करें, दोनों की अनुमति दें, फिर यह पेज दोबारा लोड करें।
call-camera-missing = कोई कैमरा नहीं मिला। आप फिर भी केवल आवाज़ से बात कर सकते हैं।
call-connection-ok = पुलिस स्टेशन से कनेक्शन: अच्छा ({ $ms } ms)।
call-connection-slow = पुलिस स्टेशन से कनेक्शन धीमा है ({ $ms } ms)। वीडियो शायद साफ़ न दिखे; पर आवाज़ आनी चाहिए।
call-connection-failed = पुलिस स्टेशन से संपर्क नहीं हो पा रहा है। अपना इंटरनेट कनेक्शन जाँचें; यह पेज अपने-आप कोशिश करता रहेगा।
call-waiting = आप वेटिंग रूम में हैं। अधिकारी आपको बुलाएँगे। यह पेज खुला रखें।
call-position = कतार में आपका नंबर: { $position }
call-expected = लगभग { $time } बजे आपकी बारी आएगी।
call-officer-late = अधिकारी को लगभग { $minutes } मिनट की देर हो रही है। इंतज़ार के लिए क्षमा करें।
call-admitted = अधिकारी आपको बुला रहे हैं…
call-connecting = वीडियो कॉल जुड़ रही है…
call-in-call = आप अधिकारी से बात कर रहे हैं।
call-remaining = बचा हुआ समय: { $time }
call-ending = समय पूरा हो गया है। कुछ ही सेकंड में कॉल बंद हो जाएगी।
call-ended = कॉल ख़त्म हो गई है। धन्यवाद।
call-ended-message = अधिकारी का संदेश:
call-back-to-waiting = अधिकारी ने आपको थोड़ी देर के लिए फिर से वेटिंग रूम में भेजा है।
call-audio-only = केवल आवाज़
call-reconnecting = कनेक्शन टूट गया। फिर से जोड़ रहे हैं…
call-mute = माइक बंद करें
call-unmute = माइक चालू करें
call-camera-off = कैमरा बंद करें
call-camera-on = कैमरा चालू करें
call-leave = कॉल से बाहर निकलें
call-you = आप
call-officer-video = अधिकारी
call-noscript = वीडियो कॉल के लिए JavaScript ज़रूरी है। कृपया इसे चालू करें, या Chrome जैसा कोई दूसरा ब्राउज़र इस्तेमाल करें।

# Hub: शहर के पुलिस स्टेशनों की सूची
hub-directory-title = अपना पुलिस स्टेशन खोजें
hub-intro = जिस पुलिस स्टेशन के क्षेत्र में आपका इलाका आता है, वहाँ के वरिष्ठ अधिकारी से वीडियो मुलाकात बुक करें। अपना इलाका या सड़क खोजें, या नीचे दी गई सूची से पुलिस स्टेशन चुनें।
hub-search-label = आपका इलाका किस पुलिस स्टेशन के क्षेत्र में आता है?
hub-search-help = इलाके, सड़क या पुलिस स्टेशन का नाम लिखें, जैसे: Karve Road
hub-search-button = खोजें
hub-show-all = सभी पुलिस स्टेशन देखें
hub-count = { $count ->
    [one] एक पुलिस स्टेशन वीडियो मुलाकात का समय देता है।
   *[other] { $count } पुलिस स्टेशन वीडियो मुलाकात का समय देते हैं।
}
hub-results = { $count ->
    [one] “{ $q }” के लिए एक पुलिस स्टेशन मिला।
   *[other] “{ $q }” के लिए { $count } पुलिस स्टेशन मिले।
}
hub-no-results = “{ $q }” के लिए कोई पुलिस स्टेशन नहीं मिला। कृपया वर्तनी जाँचें, आस-पास का इलाका या सड़क खोजकर देखें, या सभी पुलिस स्टेशनों की सूची देखें।
hub-no-stations = अभी यहाँ कोई पुलिस स्टेशन दर्ज नहीं है।
hub-zones = ज़ोन
hub-localities = क्षेत्र के इलाके
hub-next-free = अगला खाली समय
hub-no-free-slot = अगले 14 दिनों में कोई खाली समय नहीं है।
hub-stale = इस पुलिस स्टेशन ने हाल में अपने समय नहीं भेजे हैं, इसलिए वे पुराने हो सकते हैं। स्टेशन के अपने बुकिंग पेज पर नए समय दिखेंगे।
hub-book = { $station } में समय बुक करें
hub-privacy = हर पुलिस स्टेशन की अपनी बुकिंग वेबसाइट है। वहाँ आप जो लिखते हैं, वह केवल उसी पुलिस स्टेशन को मिलता है।

# बुकिंग फ़ॉर्म: अस्वीकार किए गए दस्तावेज़, दूसरे समय, बीते समय
slot-past = समय निकल गया
book-other-times = यह समय बुक नहीं हो सकता। कोई दूसरा समय चुनें:
upload-too_large = “{ $file }” 10 MB से बड़ी है। कृपया छोटी फ़ाइल चुनें।
upload-unsupported_document = “{ $file }” PDF, JPEG या PNG फ़ाइल नहीं है।
upload-too_many_documents = “{ $file }” ज़्यादा है: अधिकतम 5 दस्तावेज़ भेजे जा सकते हैं।
upload-choose-again = आपके दस्तावेज़ रखे नहीं गए: कृपया उन्हें फिर से चुनें।
upload-sending = भेजा जा रहा है…
reschedule-current = आपकी मुलाकात अभी { $date } को { $time } बजे है।

# station contact, emergency and mail health
emergency-call-112 = आपात स्थिति में 112 पर कॉल करें।
emergency-dv = अगर आप अभी खतरे में हैं, तो इस मुलाकात का इंतज़ार न करें: तुरंत 112 पर कॉल करें।
station-phone-label = पुलिस स्टेशन का फ़ोन:
station-address-label = पता:
console-mail-banner = ईमेल नागरिकों तक नहीं पहुँच रहे हैं।
console-mail-no-relay = कोई मेल रिले सेट नहीं है, इसलिए ईमेल (नागरिकों के टोकन सहित) इस बॉक्स के स्पूल फ़ोल्डर में ही रह जाते हैं। वहाँ रुके हुए ईमेल: { $count }।
console-mail-local-sender = भेजने वाले का पता { $sender } .local पर है, जिसे दूसरे मेल सर्वर अस्वीकार कर देते हैं।
console-mail-failing = { $count ->
    [one] एक ईमेल नहीं पहुँचाया जा सका।
   *[other] { $count } ईमेल नहीं पहुँचाए जा सके।
}
console-mail-fix = मेल रिले सेट करें
console-mail-see = मेल देखें
console-mail-ask-admin = ईमेल चालू करवाने के लिए अपने स्टेशन के एडमिन से कहें।
checklist-heading = शुरुआत
checklist-intro = नागरिकों की ठीक से सेवा करने से पहले इस स्टेशन को ये चीज़ें चाहिए। हर काम पूरा होने पर उस पर निशान लग जाता है।
checklist-officers = नागरिकों से मिलने वाले अधिकारी जोड़ें
checklist-hours = तय करें कि अधिकारी किस समय नागरिकों से मिलेंगे
checklist-relay = मेल रिले सेट करें, ताकि टोकन नागरिकों तक पहुँचें
checklist-hub = आयुक्तालय के हब में नामांकन करें
checklist-done = पूरा
checklist-todo = बाकी
checklist-dismiss = यह सूची छिपाएँ
station-test-mail-heading = टेस्ट ईमेल भेजें
station-test-mail-help = यह नागरिकों के ईमेल की तरह ही आउटबॉक्स और मेल रिले से जाता है, और फिर यह पेज बताता है कि वह पहुँचा या नहीं।
station-test-mail-to = किसे भेजें
station-test-mail-send = टेस्ट ईमेल भेजें

# reminders, calendar and hub directory
email-reminder-subject = याद दिलाना: { $date } को { $time } बजे आपकी वीडियो मुलाकात { $reference }
email-reminder-intro = यह { $station } में आपकी वीडियो मुलाकात की याद दिलाने के लिए है। बुकिंग ईमेल वाला 4 अंकों का टोकन तैयार रखें।
calendar-add = कैलेंडर में जोड़ें
calendar-help = एक कैलेंडर फ़ाइल (.ics) डाउनलोड होगी, जिसे आपका फ़ोन या कंप्यूटर अपने कैलेंडर में जोड़ लेगा।
hub-also-known-as = अन्य नाम
hub-times-not-shown = इस पुलिस स्टेशन के खाली समय यहाँ नहीं दिखाए जाते।
hub-open-station-page = समय देखने और बुक करने के लिए { $station } का पेज खोलें।

# officer console
console-form-expired = यह फ़ॉर्म पुराना हो गया है। वापस जाएँ, पेज फिर से लोड करें और दोबारा कोशिश करें।
console-admin-only = यह केवल स्टेशन एडमिन कर सकते हैं।
console-too-many-tries = बहुत अधिक प्रयास। एक मिनट रुकें और फिर कोशिश करें।
console-check-fields = कुछ फ़ील्ड पर ध्यान दें: उनके पास लिखे संदेश देखें।
console-saved = सहेजा गया।
console-save = सहेजें
console-my-hours = मेरा समय
console-officers = अधिकारी
console-change-password = मेरा पासवर्ड बदलें
console-hours-intro = इस समय से बनने वाले स्लॉट नागरिक बुक कर सकते हैं। पहले की बुकिंग जैसी हैं वैसी रहेंगी।
console-weekly-hours = साप्ताहिक समय
console-hours-help = हर समय-सीमा के दिन चुनें और उसका समय दें। किसी समय-सीमा को हटाने के लिए उसे खाली छोड़ दें।
console-range = समय-सीमा { $n }
console-from = से
console-to = तक
console-day-mon = सोम
console-day-tue = मंगल
console-day-wed = बुध
console-day-thu = गुरु
console-day-fri = शुक्र
console-day-sat = शनि
console-day-sun = रवि
console-hours-text = उन्नत: समय पाठ के रूप में
console-hours-text-label = पाठ के रूप में समय (भरने पर ऊपर की समय-सीमाओं की जगह लेता है)
console-hours-text-help = कमांड लाइन की तरह, जैसे Mon-Sat 11:00-13:00 या Mon-Fri 11:00-13:00 16:00-17:00; Sat 10:00-12:00।
console-slot-minutes = हर मुलाक़ात के मिनट
console-days-off = छुट्टी के दिन
console-days-off-help = अल्पविराम से अलग की गई तारीखें, जैसे 2026-12-25, 2027-01-26।
console-preview = पूर्वावलोकन
console-preview-heading = अगले 7 दिनों के स्लॉट
console-preview-slots = { $count } स्लॉट
console-preview-off = छुट्टी
console-preview-none = कोई स्लॉट नहीं
console-preview-fix = स्लॉट देखने के लिए समय ठीक करें।
console-hours-no-day = समय-सीमा { $row }: कम से कम एक दिन चुनें।
console-hours-no-time = समय-सीमा { $row }: दोनों समय दें।
console-hours-syntax = समय पढ़ा नहीं जा सका: इसे Mon-Sat 11:00-13:00 की तरह लिखें।
console-hours-empty-range = समय-सीमा { $range } शुरू होने के बाद ही ख़त्म होनी चाहिए।
console-hours-overlap = { $day } की समय-सीमाएँ एक-दूसरे पर पड़ती हैं।
console-hours-too-many = बहुत अधिक समय-सीमाएँ (अधिकतम 28)।
console-slot-range = हर मुलाक़ात के मिनट 5 से 60 के बीच होने चाहिए।
console-days-off-bad = “{ $day }” 2026-12-25 जैसी तारीख नहीं है।
console-days-off-many = अधिकतम 366 छुट्टी के दिन।
console-schedule-saved = सहेजा गया। नागरिकों को अब नए स्लॉट दिखेंगे।
console-password-heading = मेरा पासवर्ड बदलें
console-password-intro = बदलने के बाद आप यहाँ लॉग इन रहेंगे और आपके बाकी सभी सत्र ख़त्म हो जाएँगे।
console-current-password = मौजूदा पासवर्ड
console-new-password = नया पासवर्ड (कम से कम { $min } अक्षर)
console-new-password-again = नया पासवर्ड दोबारा
console-password-submit = पासवर्ड बदलें
console-password-wrong = यह आपका मौजूदा पासवर्ड नहीं है।
console-password-short = पासवर्ड में कम से कम { $min } अक्षर होने चाहिए।
console-password-mismatch = दोनों नए पासवर्ड एक जैसे नहीं हैं।
console-password-changed = पासवर्ड बदल गया। आपके बाकी सत्र ख़त्म हो गए हैं।
console-reset-heading = नया पासवर्ड
console-reset-intro = जब { $name } अपना पासवर्ड भूल जाएँ: { $name } के सभी सत्र ख़त्म होते हैं और वे नए पासवर्ड से लॉग इन करते हैं।
console-reset-submit = नया पासवर्ड रखें
console-password-reset = { $name } के लिए नया पासवर्ड रखा गया। उन्हें यह ख़ुद बताएँ; उनके सत्र ख़त्म हो गए हैं।
console-col-name-rank = नाम और पद
console-col-email = ईमेल
console-col-hours = समय
console-col-actions = कार्रवाई
console-name-of = { $name } का नाम
console-rank-of = { $name } का पद
console-admin = एडमिन
console-minutes = { $m } मिनट
console-edit-officer = समय, छुट्टियाँ और पासवर्ड
console-edit-officer-of = समय, छुट्टियाँ और पासवर्ड: { $name }
console-remove = हटाएँ
console-remove-of = हटाएँ: { $name }
console-add-heading = अधिकारी जोड़ें
console-field-name = नाम
console-field-rank = पद
console-field-email = ईमेल
console-field-password = पहला पासवर्ड (कम से कम { $min } अक्षर)
console-field-admin = स्टेशन एडमिन (अधिकारियों और सेटिंग्स का प्रबंधन कर सकते हैं)
console-add-submit = अधिकारी जोड़ें
console-label-bad = 1 से 100 अक्षर चाहिए।
console-email-bad = यह ईमेल पता नहीं है।
console-email-taken = इस ईमेल वाला अधिकारी पहले से मौजूद है।
console-officer-added = अधिकारी जोड़ा गया: { $name }।
console-officer-removed = अधिकारी हटाया गया।
console-officer-has-bookings = इस अधिकारी की आगे की मुलाक़ातें अभी बुक हैं। पहले उन्हें पूरा करें या रद्द करें।
console-last-admin = स्टेशन में कम से कम एक एडमिन होना चाहिए।
console-title = कंसोल
console-name = अधिकारी कंसोल
console-nav-calls = कॉल
console-nav-day = दिन
console-nav-station = स्टेशन
console-nav-mail = ईमेल
console-logout = लॉग आउट
console-login-title = लॉग इन
console-login-heading = अधिकारी लॉग इन
console-login-password = पासवर्ड
console-login-submit = लॉग इन करें
console-login-wrong = ईमेल या पासवर्ड गलत है।
console-login-expired = यह फ़ॉर्म पुराना हो गया है। लॉग इन पेज फिर से लोड करें और दोबारा कोशिश करें।
console-day-prev = ← पिछला दिन
console-day-today = आज
console-day-next = अगला दिन →
console-day-go = इस तारीख पर जाएँ
console-day-show = दिखाएँ
console-day-all = सभी अधिकारी
console-day-none = इस दिन कोई मुलाक़ात नहीं है।
console-col-time = समय
console-col-citizen = नागरिक
console-col-reason = कारण
console-col-status = स्थिति
console-col-officer = अधिकारी
console-documents = { $n } दस्तावेज़
console-mobile = मोबाइल
console-their-words = उनके शब्दों में
console-booked = बुक की गई
console-booked-when = { $when } (भाषा: { $lang })
console-call = कॉल
console-call-admitted = { $at } बजे अंदर लिया
console-call-connected = { $at } बजे जुड़े
console-call-ended = { $at } बजे { $by } समाप्त किया
console-call-by-timer = टाइमर ने
console-call-by-citizen = नागरिक ने
console-call-by-officer = अधिकारी ने
console-call-message = नागरिक के लिए संदेश:
console-call-none = अभी तक कोई कॉल नहीं हुई।
console-documents-heading = दस्तावेज़
console-none = कोई नहीं।
console-outcome = परिणाम
console-outcome-none = दर्ज नहीं
console-outcome-save = परिणाम सहेजें
console-outcome-choose = सूची से परिणाम चुनें।
console-notes = टिप्पणियाँ
console-notes-none = अभी कोई टिप्पणी नहीं।
console-note-add-label = आगे की कार्रवाई के लिए टिप्पणी जोड़ें
console-note-add = टिप्पणी जोड़ें
console-note-length = टिप्पणी में 1 से 4000 अक्षर होने चाहिए।
console-not-yours = यह मुलाक़ात किसी दूसरे अधिकारी के साथ है।
console-mail-relay = ईमेल इस रिले से जाते हैं:
console-mail-page-no-relay = कोई ईमेल रिले तय नहीं है: रिले तय होने तक संदेश यहाँ रखे जाते हैं:
console-mail-waiting = प्रतीक्षा में
console-mail-spooled = स्पूल में
console-mail-sent = भेजे गए
console-mail-dead = हमेशा के लिए विफल
console-mail-when = कब
console-mail-to = किसे
console-mail-kind = प्रकार
console-mail-error = त्रुटि
console-mail-retry = फिर से कोशिश करें
console-mail-pending = भेजे जाने की प्रतीक्षा में
console-mail-queued = कतार में कब
console-mail-tries = प्रयास
console-mail-last-error = अंतिम त्रुटि
console-calls-connecting = स्टेशन से जुड़ रहे हैं…
console-calls-you = आप
console-calls-more = +{ $m } मिनट
console-calls-less = −{ $m } मिनट
console-calls-mute = आवाज़ बंद करें
console-calls-send-back = प्रतीक्षा कक्ष में वापस भेजें
console-calls-note = आगे की कार्रवाई के लिए टिप्पणी
console-calls-save-note = टिप्पणी सहेजें
console-calls-message = नागरिक के लिए संदेश (आगे क्या होगा)
console-calls-end = कॉल समाप्त करें
console-station-intro = यह जानकारी हर पेज और ईमेल में दिखती है। कॉन्फ़िगरेशन फ़ाइल में तय फ़ील्ड यहाँ नहीं बदले जा सकते।
console-station-locked = कॉन्फ़िगरेशन फ़ाइल में तय।
console-station-delivery = सार्वजनिक पता और ईमेल
console-station-links = नागरिकों के ईमेल में लिंक इससे शुरू होते हैं:
console-station-no-relay = अभी कोई ईमेल रिले नहीं: ईमेल बॉक्स के स्पूल फ़ोल्डर में रखे जाते हैं।
console-station-both-locked = दोनों कॉन्फ़िगरेशन फ़ाइल में तय हैं।
console-station-public-host = सार्वजनिक होस्ट नाम (जो नागरिक टाइप करते हैं; खाली: इस बॉक्स का अपना पता)
console-station-mail-from = ईमेल भेजने वाला
console-station-relay-host = ईमेल रिले होस्ट (खाली: कोई रिले नहीं)
console-station-relay-port = पोर्ट
console-station-relay-security = सुरक्षा
console-station-relay-user = उपयोगकर्ता नाम (खाली: कोई नहीं)
console-station-relay-password-kept = पासवर्ड (खाली: सहेजा हुआ ही रखें)
console-station-hub = आयुक्तालय का हब
console-station-reports-to = यह स्टेशन यहाँ रिपोर्ट भेजता है:
console-station-backlog = प्रतीक्षा में संदेश: { $n }।
console-station-not-enrolled = नामांकन नहीं हुआ है। हब के एडमिन इस स्टेशन को दर्ज करके आपको एक बार उपयोग होने वाला कोड देते हैं।
console-station-hub-url = हब का पता
console-station-hub-code = एक बार उपयोग होने वाला नामांकन कोड
console-station-enrol = नामांकन करें
console-station-enrol-again = फिर से नामांकन करें
console-outcome-resolved = निपटाया गया
console-outcome-fir_registered = FIR दर्ज की गई
console-outcome-referred = आगे भेजा गया
console-outcome-no_show = नागरिक नहीं आए
console-outcome-follow_up_needed = आगे की कार्रवाई ज़रूरी
console-station-enrolled = नामांकन हो गया। अब से हब को इस स्टेशन के आँकड़े मिलते हैं।

# calls and appointment states
join-opens-at = आप { $opens } से जुड़ सकते हैं (आपकी { $time } की मुलाकात से 15 मिनट पहले)।
status-done = पूरी हुई
status-ended_early = जल्दी समाप्त हुई
status-no_show = छूट गई
final-done = आपकी वीडियो मुलाकात पूरी हो गई है। धन्यवाद।
final-ended_early = समय पूरा होने से पहले ही कॉल समाप्त हो गई। अगर आपको अभी भी मदद चाहिए, तो कृपया नई मुलाकात बुक करें।
final-no_show = इस मुलाकात का समय बिना कॉल के निकल गया। अगर आपको अभी भी मदद चाहिए, तो कृपया नई मुलाकात बुक करें।
final-message = अधिकारी का संदेश
final-book-again = नई मुलाकात बुक करें
call-video-back = वीडियो फिर से चालू करें
call-leave-confirm = क्या आप कॉल से बाहर निकलना चाहते हैं? बाहर निकलने के बाद अधिकारी आपको वापस कॉल में नहीं बुला पाएंगे।
call-leave-yes = हाँ, बाहर निकलें
call-leave-no = कॉल में रहें
confirm-cancel-heading = क्या यह मुलाकात रद्द करनी है?
confirm-cancel-text = { $officer } के साथ { $date } को { $time } बजे की आपकी मुलाकात रद्द हो जाएगी, और वह समय किसी और को दे दिया जाएगा।
confirm-cancel-yes = हाँ, रद्द करें
confirm-move-heading = क्या यह मुलाकात दूसरे समय पर करनी है?
confirm-move-text = आपकी मुलाकात { $from } की जगह { $to } पर होगी। नया टोकन आपको ईमेल से मिलेगा।
confirm-move-yes = हाँ, समय बदलें
confirm-keep = नहीं, मेरी मुलाकात जैसी है वैसी ही रखें

# अधिकारी का कॉल पेज: सूचनाएँ और वीडियो के पास नागरिक का अनुरोध
console-calls-sound-on = आवाज़ वाली सूचनाएँ चालू करें
console-calls-citizen-audio = नागरिक ने सिर्फ़ ऑडियो चुना है: उनका कैमरा बंद है।
console-calls-request = नागरिक का अनुरोध

# नागरिक ने हाज़िरी लगाई पर उन्हें बुलाया नहीं गया
status-not_called = बुलाया नहीं गया
final-not_called = आपने इंतज़ार किया, पर अधिकारी आपको कॉल पर नहीं ले सके। हमें खेद है। कृपया नई मुलाकात बुक करें या थाने को फ़ोन करें।
